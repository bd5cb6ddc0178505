"""The static copy's tool cards are the live view's cards: same markup, same argument layout."""

from nbstream._static_copy import parts_html
from nbstream._static_tools import pretty_json


def test_arguments_are_laid_out_as_the_widget_lays_them_out():
    # js/tool_card.js prettyJson: token by token, numbers and key order as the model wrote them
    assert pretty_json('{"b": 1e5, "a": [1, {"x": "y\\"z"}], "e": {}, "l": [ ]}') == (
        '{\n  "b": 1e5,\n  "a": [\n    1,\n    {\n      "x": "y\\"z"\n    }\n  ],\n  "e": {},\n  "l": []\n}'
    )
    assert pretty_json('{"city": "Par') == '{"city": "Par'  # cut short: shown as it streamed


def test_consecutive_calls_are_cards_side_by_side_with_their_results_and_errors_open():
    tool = {"t": "tool", "name": "get_weather", "input": '{"city": "<b>Paris</b>"}', "status": "done",
            "duration": 0.5, "result": "18 C <script>", "is_error": False}
    failed = {**tool, "name": "flaky", "status": "failed", "result": "boom", "is_error": True}
    page = parts_html([{"t": "text", "text": "Checking."}, tool, failed, {"t": "text", "text": "Done."}])
    assert page.count('<div class="nbstream-tools"') == 1 and page.count('<div class="nbstream-tool" ') == 2
    assert '<span class="nbstream-tool-duration">0.50 s</span>' in page
    assert "&lt;b&gt;Paris&lt;/b&gt;" in page and "18 C &lt;script&gt;" in page and "<script>" not in page
    assert '<details class="nbstream-tool-result"><summary' in page  # a result: collapsed
    assert '<details class="nbstream-tool-result" open><summary class="nbstream-tool-result-label">error' in page
    assert page.index("Checking.") < page.index("nbstream-tools") < page.index("Done.")
