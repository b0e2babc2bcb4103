/* Zhihui public evaluation widget (公众评价). One script tag:
 *   <script src="https://zhihui.example/widget.js" data-target="site-12" async></script>
 * It adds a button that opens an accessible dialog inside a shadow root (so
 * the host page's styles and ours never meet), sends the rating to the
 * server the script came from without cookies, and needs no framework. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.src || !me.getAttribute("data-target")) { return; }
  var base = new URL(me.src).origin;
  var target = me.getAttribute("data-target");
  var en = /^en/i.test(me.getAttribute("data-lang") || document.documentElement.lang || "");
  var T = en ? {
    open: "Rate this site", title: "How satisfied are you?", levels: ["Very dissatisfied", "Dissatisfied", "Fairly satisfied", "Satisfied", "Very satisfied"],
    reasons: "Reasons", comment: "Comment (optional)", send: "Send", close: "Close", sending: "Sending…", choose: "Choose a level.", failed: "Could not send; please try again."
  } : {
    open: "评价本网站", title: "您对本网站满意吗？", levels: ["非常不满意", "不满意", "基本满意", "满意", "非常满意"],
    reasons: "原因", comment: "意见建议（选填）", send: "提交评价", close: "关闭", sending: "正在提交…", choose: "请选择评价等级。", failed: "提交失败，请稍后再试。"
  };
  var TAGS = en ? {
    good: [["accurate", "Accurate information"], ["findable", "Easy to find"], ["timely", "Up to date"], ["clear", "Clearly written"], ["responsive", "Quick answers"]],
    bad: [["outdated", "Out of date"], ["hard_to_find", "Hard to find"], ["broken", "Broken pages or links"], ["unclear", "Unclear content"], ["no_answer", "Questions not answered"]]
  } : {
    good: [["accurate", "信息准确"], ["findable", "查找方便"], ["timely", "更新及时"], ["clear", "表述清楚"], ["responsive", "答复及时"]],
    bad: [["outdated", "信息不更新"], ["hard_to_find", "查找困难"], ["broken", "页面或链接打不开"], ["unclear", "内容不清楚"], ["no_answer", "咨询无人答复"]]
  };
  var host = document.createElement("div");
  host.setAttribute("data-zhihui-widget", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>:host{all:initial}*{box-sizing:border-box;font:14px/1.5 system-ui,sans-serif}" +
    ".open{position:fixed;right:16px;bottom:16px;z-index:2147483000;background:#1d4ed8;color:#fff;border:0;border-radius:20px;padding:8px 16px;cursor:pointer}" +
    ".open:focus-visible,button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    ".back{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2147483001;display:flex;align-items:center;justify-content:center;padding:12px}" +
    ".dlg{background:#fff;color:#111;border-radius:8px;max-width:420px;width:100%;max-height:100%;overflow:auto;padding:16px}" +
    "h2{font-size:17px;font-weight:600;margin:0 0 8px}fieldset{border:0;padding:0;margin:0 0 10px}legend{font-weight:600;margin-bottom:4px}" +
    "label{display:inline-flex;gap:4px;align-items:center;margin:2px 10px 2px 0}textarea{width:100%;min-height:64px;border:1px solid #888;border-radius:4px;padding:6px}" +
    ".row{display:flex;gap:8px;justify-content:flex-end;margin-top:10px}.send{background:#1d4ed8;color:#fff;border:0;border-radius:4px;padding:6px 14px}" +
    ".x{background:#eee;border:0;border-radius:4px;padding:6px 14px}.msg{min-height:1.5em;margin-top:6px}.hp{position:absolute;left:-10000px}</style>" +
    "<button class='open' type='button'></button>";
  var openBtn = root.querySelector(".open");
  openBtn.textContent = T.open;
  var back = null, lastFocus = null;
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text) { e.textContent = text; }
    return e;
  }
  function close() {
    if (back) { back.remove(); back = null; }
    if (lastFocus) { lastFocus.focus(); }
  }
  function open() {
    lastFocus = openBtn;
    back = el("div", { "class": "back" });
    var dlg = el("div", { "class": "dlg", role: "dialog", "aria-modal": "true", "aria-labelledby": "zh-t" });
    var form = el("form", { novalidate: "" });
    form.appendChild(el("h2", { id: "zh-t" }, T.title));
    var fs = el("fieldset"); fs.appendChild(el("legend", {}, T.title));
    for (var l = 5; l >= 1; l--) {
      var lb = el("label"); var r = el("input", { type: "radio", name: "level", value: String(l) });
      lb.appendChild(r); lb.appendChild(document.createTextNode(T.levels[l - 1])); fs.appendChild(lb);
    }
    form.appendChild(fs);
    var tags = el("fieldset"); tags.appendChild(el("legend", {}, T.reasons)); form.appendChild(tags);
    var cl = el("label", { "for": "zh-c", style: "display:block" }, T.comment); form.appendChild(cl);
    var ta = el("textarea", { id: "zh-c", name: "comment", maxlength: "500" }); form.appendChild(ta);
    var hp = el("input", { "class": "hp", name: "website", tabindex: "-1", autocomplete: "off", "aria-hidden": "true" }); form.appendChild(hp);
    var msg = el("p", { "class": "msg", role: "status", "aria-live": "polite" }); form.appendChild(msg);
    var row = el("div", { "class": "row" });
    var x = el("button", { type: "button", "class": "x" }, T.close); x.onclick = close;
    var send = el("button", { type: "submit", "class": "send" }, T.send);
    row.appendChild(x); row.appendChild(send); form.appendChild(row);
    fs.addEventListener("change", function () {
      var lv = +(form.querySelector("input[name=level]:checked") || {}).value;
      while (tags.childNodes.length > 1) { tags.removeChild(tags.lastChild); }
      (lv <= 2 ? TAGS.bad : TAGS.good).forEach(function (t) {
        var lb = el("label"); lb.appendChild(el("input", { type: "checkbox", name: "tags", value: t[0] })); lb.appendChild(document.createTextNode(t[1])); tags.appendChild(lb);
      });
    });
    form.onsubmit = function (ev) {
      ev.preventDefault();
      var chosen = form.querySelector("input[name=level]:checked");
      if (!chosen) { msg.textContent = T.choose; return; }
      var body = { target: target, level: +chosen.value, comment: ta.value, website: hp.value,
        tags: Array.prototype.map.call(form.querySelectorAll("input[name=tags]:checked"), function (c) { return c.value; }) };
      send.disabled = true; msg.textContent = T.sending;
      fetch(base + "/api/v1/ratings?via=widget", { method: "POST", mode: "cors", credentials: "omit",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (res) { return res.json().then(function (j) { return { ok: res.ok, j: j }; }); })
        .then(function (a) {
          msg.textContent = (en ? a.j.message_en : a.j.message_zh) || (a.ok ? "" : T.failed);
          if (a.ok) { send.remove(); } else { send.disabled = false; }
        })
        .catch(function () { msg.textContent = T.failed; send.disabled = false; });
    };
    dlg.appendChild(form); back.appendChild(dlg); root.appendChild(back);
    back.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { close(); return; }
      if (ev.key !== "Tab") { return; }
      var f = dlg.querySelectorAll("input:not(.hp),textarea,button:not([disabled])");
      var first = f[0], last = f[f.length - 1];
      if (ev.shiftKey && root.activeElement === first) { ev.preventDefault(); last.focus(); }
      else if (!ev.shiftKey && root.activeElement === last) { ev.preventDefault(); first.focus(); }
    });
    back.addEventListener("click", function (ev) { if (ev.target === back) { close(); } });
    form.querySelector("input[name=level]").focus();
  }
  openBtn.onclick = open;
  (document.body || document.documentElement).appendChild(host);
})();
