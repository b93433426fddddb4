// The report page's script (src/report/html.ts inlines it, with uPlot and the
// data): builds the overview table and each run's panels from the embedded
// JSON. Every text from the logs (run names, signals, evidence) goes in through
// textContent, never as HTML. The markers drawn over a plot are elements with
// data attributes (data-start, data-end, data-step) positioned with uPlot's
// valToPos, so that a test can check where they sit.
(() => {
  const data = JSON.parse(document.getElementById("rftfm-data").textContent);
  const COLORS = ["#2f6fdf", "#e07b00", "#2a9d5c", "#8e44ad", "#c0392b", "#16a2b8"];
  /** run\0panel -> uPlot instance, for tests and resizing. */
  const plots = new Map();
  window.rftfmReport = { data, plots, ready: false };

  const el = (tag, props, children) => {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null) continue;
        if (key === "text") node.textContent = String(value);
        else if (key === "class") node.className = value;
        else if (key.startsWith("data-") || key === "title" || key === "href" || key === "id" || key === "type")
          node.setAttribute(key, String(value));
        else node[key] = value;
      }
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  };

  const fmt = (x) => {
    if (x === null || x === undefined) return "";
    if (typeof x === "string") return x;
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return "0";
    const a = Math.abs(x);
    if (a >= 1e5 || a < 1e-3) return x.toExponential(2).replace(/\.?0+e/, "e");
    if (Number.isInteger(x)) return String(x);
    return String(Number(x.toPrecision(4)));
  };

  // ---- header
  const app = document.getElementById("app");
  const header = el("header", { class: "top" }, [
    el("h1", { text: "rftfm report" }),
    el("p", {
      class: "meta",
      text:
        `${data.runs.length} run${data.runs.length === 1 ? "" : "s"} from ${data.sources.join(", ") || "(stream)"}` +
        ` · built ${data.generated_at}${data.backend ? ` · backend ${data.backend}` : ""}`,
    }),
  ]);
  if (data.downsampled)
    header.append(
      el("p", {
        class: "notice",
        "data-notice": "downsampled",
        text:
          `Long runs are downsampled to at most ${data.max_points} points per curve: each point is the mean of ` +
          "the steps since the previous one, and the shaded band around the line is their min/max envelope.",
      }),
    );
  if (data.ingest)
    header.append(el("details", {}, [el("summary", { text: "ingest report" }), el("pre", { text: data.ingest })]));
  app.append(header);

  // ---- overview
  const best = (run) => run.summary.diagnosis[0];
  const columns = [
    { key: "run", title: "run", value: (r) => r.run },
    { key: "steps", title: "steps", value: (r) => r.steps.count, numeric: true },
    { key: "alarm", title: "alarm", value: (r) => (r.summary.alarm ? "alarm" : "ok") },
    { key: "first", title: "first alarm", value: (r) => r.summary.first_alarm_step, numeric: true },
    { key: "fault", title: "fault", value: (r) => best(r)?.fault ?? "" },
    { key: "family", title: "family", value: (r) => best(r)?.family ?? "" },
    { key: "confidence", title: "confidence", value: (r) => best(r)?.confidence ?? null, numeric: true },
    { key: "episodes", title: "episodes", value: (r) => r.episodes.length, numeric: true },
    { key: "actions", title: "actions", value: (r) => r.marks.length, numeric: true },
  ];
  const alarmFilter = el("select", { id: "filter-alarm", "data-filter": "alarm" }, [
    el("option", { value: "", text: "all runs" }),
    el("option", { value: "alarm", text: "with an alarm" }),
    el("option", { value: "ok", text: "without an alarm" }),
  ]);
  const faults = [...new Set(data.runs.map((r) => best(r)?.fault).filter(Boolean))].sort();
  const faultFilter = el("select", { id: "filter-fault", "data-filter": "fault" }, [
    el("option", { value: "", text: "any fault" }),
    ...faults.map((f) => el("option", { value: f, text: f })),
  ]);
  const nameFilter = el("input", { id: "filter-run", type: "search", placeholder: "run name contains" });
  const tbody = el("tbody");
  const table = el("table", { class: "overview", id: "overview" }, [
    el("thead", {}, [
      el(
        "tr",
        {},
        columns.map((c) => el("th", { text: c.title, "data-key": c.key, title: "sort" })),
      ),
    ]),
    tbody,
  ]);
  const rows = data.runs.map((run, i) => {
    const tr = el(
      "tr",
      { "data-run": run.run, "data-alarm": run.summary.alarm ? "alarm" : "ok", "data-fault": best(run)?.fault ?? "" },
      columns.map((c) => {
        const v = c.value(run);
        const td = el("td", { class: c.numeric ? "num" : c.key === "alarm" ? v : undefined });
        if (c.key === "run") td.append(el("a", { href: `#run-${i}`, text: v }));
        else td.textContent = c.key === "confidence" && v !== null ? v.toFixed(2) : fmt(v);
        return td;
      }),
    );
    return { tr, run };
  });
  let sort = { key: null, dir: 1 };
  const renderRows = () => {
    const alarm = alarmFilter.value;
    const fault = faultFilter.value;
    const name = nameFilter.value.toLowerCase();
    const column = columns.find((c) => c.key === sort.key);
    const shown = rows.filter(
      ({ run }) =>
        (!alarm || (run.summary.alarm ? "alarm" : "ok") === alarm) &&
        (!fault || best(run)?.fault === fault) &&
        (!name || run.run.toLowerCase().includes(name)),
    );
    if (column)
      shown.sort((a, b) => {
        const x = column.value(a.run);
        const y = column.value(b.run);
        if (x === y) return 0;
        if (x === null || x === "") return 1;
        if (y === null || y === "") return -1;
        return (x < y ? -1 : 1) * sort.dir;
      });
    tbody.replaceChildren(...shown.map((r) => r.tr));
    const visible = new Set(shown.map((r) => r.run));
    data.runs.forEach((run, i) => {
      const section = document.getElementById(`run-${i}`);
      if (section) section.hidden = !visible.has(run);
    });
    count.textContent = `${shown.length} of ${rows.length} runs shown`;
  };
  for (const th of table.querySelectorAll("th"))
    th.addEventListener("click", () => {
      const key = th.getAttribute("data-key");
      sort = { key, dir: sort.key === key ? -sort.dir : 1 };
      for (const other of table.querySelectorAll("th")) other.removeAttribute("data-sort");
      th.setAttribute("data-sort", sort.dir > 0 ? "asc" : "desc");
      renderRows();
    });
  for (const input of [alarmFilter, faultFilter]) input.addEventListener("change", renderRows);
  nameFilter.addEventListener("input", renderRows);
  const count = el("span", { class: "count" });
  app.append(
    el("section", { class: "overview-box" }, [
      el("h2", { text: "Runs" }),
      el("div", { class: "filters" }, [alarmFilter, faultFilter, nameFilter, count]),
      table,
    ]),
  );

  // ---- runs
  const describeEpisode = (e) => {
    const d = e.diagnosis[0];
    const card = el("div", { class: "episode", "data-episode-start": e.start, "data-episode-end": e.end }, [
      el("h4", {
        text: `alarm episode: steps ${e.start}–${e.end}${e.open ? " (still open)" : ""}${e.onset !== null ? ` · onset ≈ ${e.onset}` : ""}`,
      }),
    ]);
    if (d) {
      card.append(
        el("p", { class: "diagnosis" }, [
          el("strong", { text: d.fault }),
          document.createTextNode(` (${d.family}), confidence ${d.confidence.toFixed(2)}`),
        ]),
      );
      card.append(
        el(
          "ul",
          { class: "evidence" },
          d.evidence.map((line) => el("li", { text: line })),
        ),
      );
      if (e.diagnosis.length > 1)
        card.append(
          el("p", {
            class: "also",
            text: `also: ${e.diagnosis
              .slice(1, 4)
              .map((x) => `${x.fault} ${x.confidence.toFixed(2)}`)
              .join(", ")}`,
          }),
        );
      if (e.diagnosis_changes.length > 1)
        card.append(
          el("p", {
            class: "changes",
            text: `diagnosis over the episode: ${e.diagnosis_changes.map((c) => `${c.fault} at ${c.step}`).join(" → ")}`,
          }),
        );
    } else card.append(el("p", { class: "diagnosis", text: "no diagnosis" }));
    if (e.anomalies.length)
      card.append(
        el("p", {
          class: "anomalies",
          text: `out of line: ${e.anomalies
            .slice(0, 6)
            .map((a) => `${a.signal} (${a.detector}, step ${a.step})`)
            .join(", ")}${e.anomalies.length > 6 ? `, +${e.anomalies.length - 6} more` : ""}`,
        }),
      );
    return card;
  };

  /** Beside a plot, the first episodes' cards; the others folded, so that a run of many alarms stays readable. */
  const SHOWN_CARDS = 3;
  const cards = (episodes) => {
    const shown = episodes.slice(0, SHOWN_CARDS).map(describeEpisode);
    if (episodes.length > SHOWN_CARDS)
      shown.push(
        el("details", { class: "more-episodes" }, [
          el("summary", { text: `${episodes.length - SHOWN_CARDS} more alarm episodes` }),
          ...episodes.slice(SHOWN_CARDS).map(describeEpisode),
        ]),
      );
    return shown;
  };

  const pending = [];
  data.runs.forEach((run, i) => {
    const s = run.summary;
    const section = el("section", { class: "run", id: `run-${i}`, "data-run": run.run }, [
      el("h2", {}, [
        document.createTextNode(`run ${run.run} `),
        el("span", {
          class: s.alarm ? "badge alarm" : "badge ok",
          text: s.alarm ? `alarm at step ${s.first_alarm_step}` : "no alarm",
        }),
      ]),
      el("p", {
        class: "meta",
        text:
          `${run.steps.count} steps` +
          (run.steps.first !== null ? ` (${run.steps.first}–${run.steps.last})` : "") +
          (run.downsampled ? ` · downsampled: up to ${run.bucket_steps} steps per point` : "") +
          (s.diagnosis[0] ? ` · diagnosis ${s.diagnosis[0].fault} (${s.diagnosis[0].confidence.toFixed(2)})` : ""),
      }),
    ]);
    const actions = run.marks.filter((m) => m.kind === "action");
    const recs = run.marks.filter((m) => m.kind === "recommendation");
    if (run.marks.length)
      section.append(
        el("p", {
          class: "actions",
          text:
            (actions.length ? `actions: ${actions.map((m) => `${m.text} at ${m.step}`).join("; ")}` : "") +
            (actions.length && recs.length ? " · " : "") +
            (recs.length ? `recommended: ${recs.map((m) => `${m.text} at ${m.step}`).join("; ")}` : "") +
            (run.dropped.marks ? ` (+${run.dropped.marks} more not kept)` : ""),
        }),
      );
    const never = run.not_logged.map((n) => `${n.panel} (${n.signals.join(", ")})`);
    if (never.length)
      section.append(el("p", { class: "not-logged", text: `never logged, so not plotted: ${never.join("; ")}` }));
    if (s.lacking.length)
      section.append(
        el("p", {
          class: "lacking",
          "data-lacking": s.lacking.join(" "),
          text: `watched signals the run never reported (the monitor had less to go on): ${s.lacking.join(", ")}`,
        }),
      );
    if (run.error_count)
      section.append(
        el("details", { class: "errors" }, [
          el("summary", { text: `${run.error_count} monitor problem${run.error_count === 1 ? "" : "s"}` }),
          el(
            "ul",
            {},
            run.errors.map((e) => el("li", { text: `step ${e.step}: ${e.message}` })),
          ),
        ]),
      );
    const unplaced = run.episodes.filter((e) => !run.panels.some((p) => p.id === e.panels[0]));
    if (unplaced.length) section.append(el("div", { class: "notes wide" }, cards(unplaced)));
    const grid = el("div", { class: "panels" });
    for (const panel of run.panels) {
      const plot = el("div", { class: "plot", "data-run": run.run, "data-panel": panel.id });
      const notes = cards(run.episodes.filter((e) => e.panels[0] === panel.id));
      const box = el("div", { class: `panel ${panel.kind}${notes.length ? " with-notes" : ""}` }, [
        el("div", { class: "plot-box" }, [el("h3", { text: panel.title }), plot]),
        notes.length ? el("aside", { class: "notes" }, notes) : null,
      ]);
      grid.append(box);
      if (!panel.series.length) plot.append(el("p", { class: "empty", text: "no values kept for this signal" }));
      else pending.push({ run, panel, plot });
    }
    section.append(grid);
    app.append(section);
  });
  renderRows();

  // ---- plots
  const overlay = (u, run, kind) => {
    for (const old of u.over.querySelectorAll(".rftfm-marker")) old.remove();
    const x = (step) => u.valToPos(step, "x");
    for (const e of run.episodes) {
      const left = x(e.start);
      const right = x(e.end);
      u.over.append(
        el("div", {
          class: "rftfm-marker rftfm-band",
          "data-start": e.start,
          "data-end": e.end,
          title: `alarm episode ${e.start}–${e.end}${e.diagnosis[0] ? `: ${e.diagnosis[0].fault}` : ""}`,
          style: `left:${left}px;width:${Math.max(2, right - left)}px`,
        }),
      );
      if (e.onset !== null)
        u.over.append(
          el("div", {
            class: "rftfm-marker rftfm-onset",
            "data-step": e.onset,
            title: `estimated onset: step ${e.onset}`,
            style: `left:${x(e.onset)}px`,
          }),
        );
    }
    for (const m of run.marks)
      u.over.append(
        el("div", {
          class: `rftfm-marker rftfm-action ${m.kind}`,
          "data-step": m.step,
          "data-kind": m.kind,
          title: `step ${m.step}: ${m.kind === "action" ? "" : "recommended "}${m.text}${m.reason ? ` (${m.reason})` : ""}`,
          style: `left:${x(m.step)}px`,
        }),
      );
    for (const s of kind.series)
      for (const n of s.nonfinite)
        u.over.append(
          el("div", {
            class: "rftfm-marker rftfm-nonfinite",
            "data-step": n.step,
            title: `${s.signal}: ${n.count} non-finite value${n.count === 1 ? "" : "s"} at step ${n.step}`,
            style: `left:${x(n.step)}px`,
          }),
        );
  };

  const draw = ({ run, panel, plot }) => {
    if (plot.getAttribute("data-drawn")) return;
    const banded = panel.series.some((s) => s.bucket_steps > 1);
    const tables = panel.series.map((s) => (banded ? [s.steps, s.value, s.min, s.max] : [s.steps, s.value]));
    const joined = uPlot.join(tables);
    const series = [{ label: "step" }];
    const bands = [];
    panel.series.forEach((s, k) => {
      const color = COLORS[k % COLORS.length];
      series.push({ label: s.signal, stroke: color, width: 1.5, spanGaps: true, value: (_u, v) => fmt(v) });
      if (banded) {
        const base = series.length;
        series.push({ label: `${s.signal} min`, stroke: "transparent", width: 0, spanGaps: true, show: true });
        series.push({ label: `${s.signal} max`, stroke: "transparent", width: 0, spanGaps: true, show: true });
        bands.push({ series: [base + 1, base], fill: `${color}33` });
      }
    });
    const first = run.steps.first ?? 0;
    const last = run.steps.last ?? first + 1;
    const width = Math.max(240, plot.clientWidth || 480);
    const u = new uPlot(
      {
        width,
        height: 170,
        legend: { show: true },
        cursor: { sync: { key: `run-${run.run}` } },
        scales: { x: { time: false, range: () => (first === last ? [first - 1, last + 1] : [first, last]) } },
        // Steps are whole numbers: no tick between two of them.
        axes: [
          { size: 30, incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6] },
          { size: 56, values: (_u, ticks) => ticks.map(fmt) },
        ],
        series,
        bands,
        hooks: {
          ready: [(u2) => overlay(u2, run, panel)],
          setSize: [(u2) => overlay(u2, run, panel)],
          setScale: [(u2, key) => key === "x" && overlay(u2, run, panel)],
        },
      },
      joined,
      plot,
    );
    plots.set(`${run.run}\u0000${panel.id}`, u);
    plot.setAttribute("data-drawn", "true");
    plot.setAttribute("data-points", String(joined[0].length));
  };

  // A directory of many runs draws each plot when it scrolls into view; a few runs draw at once.
  if (pending.length <= 120 || !("IntersectionObserver" in window)) for (const p of pending) draw(p);
  else {
    const byPlot = new Map(pending.map((p) => [p.plot, p]));
    const seen = new IntersectionObserver(
      (entries) => {
        for (const entry of entries)
          if (entry.isIntersecting) {
            draw(byPlot.get(entry.target));
            seen.unobserve(entry.target);
          }
      },
      { rootMargin: "400px" },
    );
    for (const p of pending) seen.observe(p.plot);
  }
  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      for (const u of plots.values())
        u.setSize({ width: Math.max(240, u.root.parentElement.clientWidth), height: 170 });
    }, 150);
  });
  window.rftfmReport.ready = true;
})();
