// Small DOM helpers shared by the views: create an element, and write text or an
// attribute only when it differs (a redraw that changes nothing touches nothing).

/**
 * @param {Document} doc
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function make(doc, tag, className, text) {
  const el = doc.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * A `<span>` showing one figure, its meaning as the tooltip.
 *
 * @param {Document} doc
 * @param {string} className
 * @param {string} title
 * @returns {HTMLElement}
 */
export function makeFigure(doc, className, title) {
  const el = make(doc, "span", className);
  el.title = title;
  return el;
}

/**
 * A `<button type="button">`.
 *
 * @param {Document} doc
 * @param {string} className
 * @param {string} text
 * @param {string} label  accessible name
 * @returns {HTMLButtonElement}
 */
export function makeButton(doc, className, text, label) {
  const btn = /** @type {HTMLButtonElement} */ (make(doc, "button", className, text));
  btn.type = "button";
  btn.setAttribute("aria-label", label);
  return btn;
}

/**
 * Set the text of an element; an empty text hides it.
 *
 * @param {HTMLElement} el
 * @param {string} text
 */
export function setText(el, text) {
  const node = el.firstChild;
  if (node !== null && node === el.lastChild && node.nodeType === 3) {
    // Change the one text node in place: no new node, no serialising of textContent.
    const t = /** @type {Text} */ (node);
    if (t.data !== text) t.data = text;
  } else if (el.textContent !== text) {
    el.textContent = text;
  }
  const hide = text === "";
  if (el.hidden !== hide) el.hidden = hide;
}

/**
 * @param {Element} el
 * @param {string} name
 * @param {string} value
 */
export function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/**
 * @param {HTMLElement} el
 * @param {boolean} hidden
 */
export function setHidden(el, hidden) {
  if (el.hidden !== hidden) el.hidden = hidden;
}

/**
 * @param {HTMLButtonElement} el
 * @param {boolean} disabled
 */
export function setDisabled(el, disabled) {
  if (el.disabled !== disabled) el.disabled = disabled;
}
