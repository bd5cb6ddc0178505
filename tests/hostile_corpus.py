"""Hostile model output: each payload tries to run script, load something, or escape the widget.

Each one, if it worked, would set window.__pwned (or add an element with id "pwned") — the browser
tests check that neither ever happens.
"""

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=1>",
    "<svg onload=window.__pwned=1></svg>",
    "<svg><script>window.__pwned=1</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1></style></mglyph></table></mtext></math>",
    '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    '<object data="javascript:window.__pwned=1"></object>',
    '<embed src="javascript:window.__pwned=1">',
    "<style>body{display:none} .jp-Notebook{background:red}</style>",
    '<link rel=stylesheet href="https://attacker.invalid/x.css">',
    '<meta http-equiv="refresh" content="0;url=https://attacker.invalid">',
    '<base href="https://attacker.invalid/">',
    '<form id="pwned"><input name="attributes"></form>',
    '<img name="pwned" src="x">',
    '<div id="pwned" style="position:fixed;top:0;left:0;width:100vw;height:100vh;background:red;z-index:99999">covered</div>',
    "[click me](javascript:window.__pwned=1)",
    "[click me](JaVaScRiPt:window.__pwned=1)",
    "[click me]( javascript:window.__pwned=1)",
    "[click me](jav&#x61;script:window.__pwned=1)",
    "[click me](java\tscript:window.__pwned=1)",
    "[click me](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD0xPC9zY3JpcHQ+)",
    "[click me](vbscript:msgbox(1))",
    "<javascript:window.__pwned=1>",
    "[ref]\n\n[ref]: javascript:window.__pwned=1",
    "![x](javascript:window.__pwned=1)",
    "![tracker](https://attacker.invalid/pixel.png)",
    "```html\n<script>window.__pwned=1</script>\n<img src=x onerror=window.__pwned=1>\n```",
    "Inline `<img src=x onerror=window.__pwned=1>` code",
    '<a href="javascript:window.__pwned=1">raw link</a>',
    "<details open ontoggle=window.__pwned=1><summary>x</summary></details>",
    '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>"></noscript>',
    "<!-- <img src=x onerror=window.__pwned=1> -->",
    "<![CDATA[<img src=x onerror=window.__pwned=1>]]>",
    "<input autofocus onfocus=window.__pwned=1>",
    "<video><source onerror=window.__pwned=1></video>",
    "<body onload=window.__pwned=1>",
    "\\<img src=x onerror=window.__pwned=1>",
    "`` ` <img src=x onerror=window.__pwned=1> ``",
    "<img src=x onerror=window.__pwned=1",
    '<a href="https://example.com" onclick="window.__pwned=1">looks fine</a>',
]

# Hostile text in the places beyond the answer's text (issue 17): a search result's title and URL, a cited
# passage and its source, a fetched page's title, code execution's stdout/stderr. The simulator puts the
# prompt in each of them (`echo=1` with server tools and citations); these URLs pass as http(s) and try
# to break out of an attribute.
URL_PAYLOADS = [
    'https://example.com/"onmouseover="window.__pwned=1',
    "https://example.com/'><img/src=x/onerror=window.__pwned=1>",
    "http://example.com/</a><script>window.__pwned=1</script>",
]
EVERYWHERE = "[[sim: echo=1 server_tools=web_search,web_fetch,code_execution citations=web_search_result_location,char_location]]"
