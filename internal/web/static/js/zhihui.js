/*
 * zhihui.js — page glue for 智慧河南信息化推进平台.
 *
 * Load after htmx.min.js and echarts.min.js (both with `defer`, or at the end of <body>):
 *
 *   <meta name="csrf-token" content="{{ .CSRFToken }}">
 *   <script src="/static/vendor/htmx.min.js" defer></script>
 *   <script src="/static/vendor/echarts.min.js" defer></script>
 *   <script src="/static/js/zhihui.js" defer></script>
 *
 * What it does:
 *   - every htmx request carries the page's CSRF token as header X-CSRF-Token;
 *   - htmx swaps 422 (validation failed) responses too, so a handler can answer a bad
 *     form with the form re-rendered and its error messages;
 *   - htmx does not inject its own <style> (the indicator rules are in zhihui.css), so a
 *     strict Content-Security-Policy needs no style exception for it;
 *   - elements with data-chart='{…ECharts option…}' become charts, and elements with
 *     data-map='{"data":[{"name":"郑州市","value":1}],"min":0,"max":100,"title":"…"}'
 *     become Henan choropleths, on DOMContentLoaded and after every htmx swap;
 *   - charts follow window resizes and are disposed when htmx removes them;
 *   - .nav-toggle-btn opens and closes the side nav on narrow screens (class nav-open on
 *     <html>, aria-expanded on the button); Escape or following a link closes it.
 *
 * API (window.zhihui):
 *   zhihui.chart(el[, option]) -> echarts instance | null
 *   zhihui.map(el[, spec])     -> Promise<echarts instance | null>
 *                              spec.city: a city code ("4101") draws only its counties on
 *                              "henan-counties"; spec.links: {region name: "/path"} follows
 *                              a link when a region is clicked
 *   zhihui.init([root])        scan root (default document) for [data-chart], [data-map]
 *   zhihui.resize()            resize every chart now
 *   zhihui.csrfToken()         the token from <meta name="csrf-token">, or ""
 *   zhihui.staticBase          URL prefix of the static files; from <meta name="static-base">,
 *                              default "/static"
 */
(function () {
  "use strict";

  var zhihui = (window.zhihui = window.zhihui || {});

  var CHART_SELECTOR = "[data-chart]";
  var MAP_SELECTOR = "[data-map]";

  // Last rendered attribute text per element, so a rescan after a swap only
  // redraws charts that are new or whose data changed.
  var rendered = new WeakMap();

  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") || "" : "";
  }

  zhihui.csrfToken = function () {
    return meta("csrf-token");
  };

  zhihui.staticBase = (meta("static-base") || "/static").replace(/\/+$/, "");

  function isChinese() {
    var lang = (document.documentElement.getAttribute("lang") || "zh-CN").toLowerCase();
    return lang.indexOf("zh") === 0;
  }

  function text(zh, en) {
    return isChinese() ? zh : en;
  }

  function parseJSON(el, attr) {
    var raw = el.getAttribute(attr);
    if (raw === null || raw === "") {
      return null;
    }
    try {
      return JSON.parse(raw);
    } catch (err) {
      console.error("zhihui: invalid JSON in " + attr, el, err);
      return null;
    }
  }

  function showError(el, zh, en) {
    var inst = window.echarts && window.echarts.getInstanceByDom(el);
    if (inst) {
      inst.dispose();
    }
    el.classList.add("chart-error");
    el.setAttribute("role", "alert");
    el.textContent = text(zh, en);
  }

  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function formatNumber(v) {
    if (typeof v !== "number" || !isFinite(v)) {
      return text("无数据", "no data");
    }
    return v.toLocaleString(isChinese() ? "zh-CN" : "en", { maximumFractionDigits: 2 });
  }

  /* ---- htmx ---------------------------------------------------------- */

  function configureHtmx() {
    var htmx = window.htmx;
    if (!htmx || !htmx.config) {
      return;
    }
    htmx.config.includeIndicatorStyles = false;
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
  }
  configureHtmx();

  document.addEventListener("htmx:configRequest", function (evt) {
    var token = zhihui.csrfToken();
    if (token && evt.detail && evt.detail.headers) {
      evt.detail.headers["X-CSRF-Token"] = token;
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    // The swap target may have been replaced (outerHTML), so scan the whole
    // document; charts already drawn from the same data are skipped.
    zhihui.init(document);
  });

  document.addEventListener("htmx:beforeCleanupElement", function (evt) {
    var el = evt.target;
    if (window.echarts && el && el.nodeType === 1 && (el.hasAttribute("data-chart") || el.hasAttribute("data-map"))) {
      var inst = window.echarts.getInstanceByDom(el);
      if (inst) {
        inst.dispose();
      }
      rendered.delete(el);
    }
  });

  /* ---- charts -------------------------------------------------------- */

  // chart draws option on el (parsed from el's data-chart attribute when
  // option is omitted), reusing the element's ECharts instance if it has one.
  zhihui.chart = function (el, option) {
    if (!el) {
      return null;
    }
    if (!window.echarts) {
      showError(el, "图表组件未加载", "Chart library not loaded");
      return null;
    }
    if (option === undefined) {
      option = parseJSON(el, "data-chart");
    }
    if (!option || typeof option !== "object") {
      showError(el, "图表数据无效", "Invalid chart data");
      return null;
    }
    if (option.aria === undefined) {
      // ECharts writes a generated description into aria-label.
      option.aria = { enabled: true };
    }
    el.classList.remove("chart-error");
    if (el.getAttribute("role") === "alert") {
      el.removeAttribute("role");
    }
    var inst = window.echarts.getInstanceByDom(el);
    if (!inst) {
      el.textContent = "";
      inst = window.echarts.init(el, null, { locale: isChinese() ? "ZH" : "EN" });
    }
    inst.setOption(option, true);
    return inst;
  };

  /* ---- Henan map ----------------------------------------------------- */

  var mapLoads = {};

  // loadMap fetches /static/map/<name>.json once and registers it with ECharts
  // under <name>. A failed fetch is retried on the next call.
  function loadMap(name) {
    if (!mapLoads[name]) {
      var url = zhihui.staticBase + "/map/" + encodeURIComponent(name) + ".json";
      mapLoads[name] = fetch(url, { credentials: "same-origin" })
        .then(function (resp) {
          if (!resp.ok) {
            throw new Error("GET " + url + ": HTTP " + resp.status);
          }
          return resp.json();
        })
        .then(function (geo) {
          window.echarts.registerMap(name, geo);
          return name;
        })
        .catch(function (err) {
          delete mapLoads[name];
          throw err;
        });
    }
    return mapLoads[name];
  }

  function mapOption(spec) {
    var data = Array.isArray(spec.data) ? spec.data : [];
    var values = data
      .map(function (d) {
        return d && typeof d.value === "number" ? d.value : NaN;
      })
      .filter(isFinite);
    var min = typeof spec.min === "number" ? spec.min : values.length ? Math.min.apply(null, values) : 0;
    var max = typeof spec.max === "number" ? spec.max : values.length ? Math.max.apply(null, values) : 1;
    if (max <= min) {
      max = min + 1;
    }
    var unit = spec.unit ? String(spec.unit) : "";
    // City names fit on the map; 157 county names do not, so they show on hover.
    var labels = typeof spec.labels === "boolean" ? spec.labels : spec.mapName.indexOf("henan-counties") !== 0 || !!spec.city;
    var unitSep = unit === "%" || unit === "‰" ? "" : " ";
    // ECharts' generated description lists every region, including those
    // without data as "NaN"; describe only the regions that have values.
    var described = data
      .filter(function (d) {
        return d && typeof d.value === "number" && isFinite(d.value);
      })
      .sort(function (a, b) {
        return b.value - a.value;
      })
      .map(function (d) {
        return d.name + " " + formatNumber(d.value) + (unit ? unitSep + unit : "");
      });
    var title = spec.title ? String(spec.title) : text("河南省地图", "Map of Henan");
    var description =
      title + text("：", ": ") + (described.length ? described.join(text("；", "; ")) : text("无数据", "no data"));
    return {
      aria: { enabled: true, label: { description: description } },
      title: spec.title ? { text: String(spec.title), left: "center", textStyle: { fontSize: 15 } } : undefined,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          // ECharts renders tooltips as HTML, so escape everything that is text.
          var v = p.data ? p.data.value : undefined;
          return escapeHTML(p.name + ": " + formatNumber(v) + (unit && typeof v === "number" ? unitSep + unit : ""));
        },
      },
      visualMap: {
        type: "continuous",
        min: min,
        max: max,
        left: 8,
        bottom: 8,
        calculable: true,
        itemWidth: 12,
        itemHeight: 100,
        text: [text("高", "high"), text("低", "low")],
        inRange: { color: ["#e6f0fa", "#7fb0e0", "#0b5cad", "#0a3d75"] },
        textStyle: { color: "#1f2933" },
      },
      series: [
        {
          type: "map",
          map: spec.mapName,
          name: spec.title ? String(spec.title) : "",
          roam: false,
          // With all four sides set, ECharts fits the map inside the box and
          // keeps its aspect ratio, so a narrow card does not clip it.
          left: 8,
          right: 8,
          top: spec.title ? 40 : 8,
          bottom: 8,
          label: { show: labels, fontSize: 10, color: "#1f2933" },
          itemStyle: { borderColor: "#ffffff", borderWidth: 1, areaColor: "#e8ecf0" },
          emphasis: {
            label: { color: "#1f2933", fontWeight: "bold" },
            itemStyle: { areaColor: "#fdba74" },
          },
          select: { disabled: true },
          data: data,
        },
      ],
    };
  }

  // map draws a choropleth of Henan on el from spec (parsed from el's
  // data-map attribute when omitted): {data: [{name, value}], min, max, title,
  // unit, labels, map}. min and max default to the data's range; labels
  // (region names on the map) defaults to true for cities, false for counties. map is "henan" (cities, the default) or
  // "henan-counties"; names must match the map's properties.name.
  zhihui.map = function (el, spec) {
    if (!el) {
      return Promise.resolve(null);
    }
    if (!window.echarts || !window.fetch) {
      showError(el, "地图组件未加载", "Map library not loaded");
      return Promise.resolve(null);
    }
    if (spec === undefined) {
      spec = parseJSON(el, "data-map");
    }
    if (!spec || typeof spec !== "object") {
      showError(el, "地图数据无效", "Invalid map data");
      return Promise.resolve(null);
    }
    var name = spec.map === "henan-counties" ? "henan-counties" : "henan";
    return loadMap(name).then(
      function () {
        var mapName = name;
        // spec.city ("4101") draws only that city's counties.
        if (name === "henan-counties" && spec.city) {
          mapName = name + "-" + String(spec.city);
          if (!window.echarts.getMap(mapName)) {
            var geo = window.echarts.getMap(name).geoJSON || window.echarts.getMap(name).geoJson;
            window.echarts.registerMap(mapName, {
              type: "FeatureCollection",
              features: geo.features.filter(function (f) {
                return f.properties && f.properties.city_code === String(spec.city);
              }),
            });
          }
        }
        var option = mapOption(Object.assign({}, spec, { mapName: mapName }));
        var inst = zhihui.chart(el, option);
        // spec.links ({"郑州市": "/dashboard?ou=4101"}) makes regions links.
        if (inst && spec.links) {
          inst.off("click");
          inst.on("click", function (p) {
            var href = spec.links[p.name];
            if (href && href.charAt(0) === "/") {
              window.location.assign(href);
            }
          });
        }
        return inst;
      },
      function (err) {
        console.error("zhihui:", err);
        rendered.delete(el);
        showError(el, "地图加载失败", "Map failed to load");
        return null;
      }
    );
  };

  /* ---- scanning and resizing ----------------------------------------- */

  function each(root, selector, fn) {
    root = root || document;
    if (root.nodeType === 1 && root.matches(selector)) {
      fn(root);
    }
    if (root.querySelectorAll) {
      Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
    }
  }

  zhihui.init = function (root) {
    each(root, CHART_SELECTOR, function (el) {
      var raw = el.getAttribute("data-chart");
      if (rendered.get(el) === raw && window.echarts && window.echarts.getInstanceByDom(el)) {
        return;
      }
      rendered.set(el, raw);
      zhihui.chart(el);
    });
    each(root, MAP_SELECTOR, function (el) {
      var raw = el.getAttribute("data-map");
      if (rendered.get(el) === raw) {
        return;
      }
      rendered.set(el, raw);
      zhihui.map(el);
    });
    // A table box scrolls when the table is wider or taller than the box
    // (which depends on the screen); keyboard users must be able to reach
    // the scroll (WCAG 2.1.1), so every such box is focusable.
    each(root, ".table-wrap", function (el) {
      if (!el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        if (!el.hasAttribute("role")) {
          el.setAttribute("role", "region");
        }
        if (!el.hasAttribute("aria-label")) {
          var cap = el.querySelector("caption, th");
          el.setAttribute("aria-label", cap ? cap.textContent.trim() : "table");
        }
      }
    });
  };

  zhihui.resize = function () {
    if (!window.echarts) {
      return;
    }
    each(document, CHART_SELECTOR + "," + MAP_SELECTOR, function (el) {
      var inst = window.echarts.getInstanceByDom(el);
      if (inst) {
        inst.resize();
      }
    });
  };

  /* ---- side nav drawer ----------------------------------------------- */

  function setNavOpen(open) {
    document.documentElement.classList.toggle("nav-open", open);
    Array.prototype.forEach.call(document.querySelectorAll(".nav-toggle-btn"), function (btn) {
      btn.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  document.addEventListener("click", function (evt) {
    var target = evt.target;
    if (!target || !target.closest) {
      return;
    }
    if (target.closest(".nav-toggle-btn")) {
      setNavOpen(!document.documentElement.classList.contains("nav-open"));
    } else if (target.closest(".sidenav a")) {
      setNavOpen(false);
    } else if (target.closest(".nav-backdrop")) {
      evt.preventDefault();
      setNavOpen(false);
    }
  });

  // A page restored from the back/forward cache starts with the drawer
  // closed, as a freshly loaded one does.
  window.addEventListener("pageshow", function () {
    setNavOpen(false);
  });

  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && document.documentElement.classList.contains("nav-open")) {
      setNavOpen(false);
      var btn = document.querySelector(".nav-toggle-btn");
      if (btn) {
        btn.focus();
      }
    }
  });

  var resizePending = false;
  window.addEventListener("resize", function () {
    if (resizePending) {
      return;
    }
    resizePending = true;
    window.requestAnimationFrame(function () {
      resizePending = false;
      zhihui.resize();
    });
  });

  function start() {
    configureHtmx();
    zhihui.init(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
