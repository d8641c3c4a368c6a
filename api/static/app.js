// ridealong pages: live status on the list, click-to-seek on transcripts. No dependencies.
(function () {
  "use strict";

  // Forms that destroy something ask first (data-confirm; no inline handlers, for the CSP).
  // A speaker card asks only when it merges its speaker into another (data-merge-confirm).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    let question = (event.submitter && event.submitter.dataset.confirm) || (form.dataset && form.dataset.confirm);
    const merge = form.querySelector && form.querySelector('select[name="merge_into"]');
    if (!question && merge && merge.value && form.dataset.mergeConfirm) {
      question = form.dataset.mergeConfirm.replace("%(other)s", merge.selectedOptions[0].text);
    }
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // A confirmation in the address (?done=…, ?uploaded=…) has been shown: a reload or a
  // bookmark must not show it again.
  const address = new URL(window.location.href);
  if (["done", "uploaded", "caution"].some((name) => address.searchParams.has(name))) {
    address.searchParams.delete("done");
    address.searchParams.delete("uploaded");
    address.searchParams.delete("caution");
    window.history.replaceState(null, "", address.pathname + address.search + address.hash);
  }

  // A confirmation sits at the page's top; a page opened at a line or a term (#line-7,
  // #term-2: where a correction or a hidden term left the reader) has it out of sight.
  // A copy shows over the page for a while (the original is read out as the page loads).
  const notice = document.querySelector('.notice[role="status"]');
  if (notice && location.hash) {
    window.requestAnimationFrame(() => {
      const box = notice.getBoundingClientRect();
      if (box.bottom > 0 && box.top < window.innerHeight) return;
      const toast = notice.cloneNode(true);
      toast.removeAttribute("role");
      toast.setAttribute("aria-hidden", "true");
      toast.classList.add("toast");
      document.body.appendChild(toast);
      window.setTimeout(() => toast.remove(), 8000);
      toast.addEventListener("click", () => toast.remove());
    });
  }

  // A form sent back with an error: take the reader to the message (data-focus).
  const problem = document.querySelector("[data-focus]");
  if (problem) problem.focus();

  // A progress of 0 is "not known yet": an indeterminate bar says so, a bar at 0 does not.
  const showProgress = (bar, value) => {
    if (value > 0) bar.value = value; else bar.removeAttribute("value");
  };

  // Uploading (or enrolling a voice) can take a while: say so, and do not let a second click
  // send the files again. Back to this page (the browser's cache) gives the button back.
  for (const busyForm of document.querySelectorAll("form[data-busy]")) {
    const button = busyForm.querySelector('button[type="submit"]');
    const label = button.textContent;
    busyForm.addEventListener("submit", (event) => {
      if (event.defaultPrevented) return;
      const picker = busyForm.querySelector('input[type="file"]');
      const files = picker ? picker.files.length : 0;
      button.disabled = true;
      // The page's language: its texts come with the form (data-busy, data-busy-many).
      button.textContent = files > 1 && busyForm.dataset.busyMany
        ? busyForm.dataset.busyMany.replace("%(n)s", String(files))
        : busyForm.dataset.busy;
    });
    window.addEventListener("pageshow", () => {
      button.disabled = false;
      button.textContent = label;
    });
  }

  // The upload form keeps the salesperson, date, language and tags of the last upload in
  // this tab (sessionStorage: this browser tab only), for the next recording of the same
  // ride-along. The title, customer and files are each recording's own.
  const uploadForm = document.querySelector("form[data-remember]");
  if (uploadForm && window.sessionStorage) {
    const kept = ["salesperson", "recorded_at", "language", "tags"];
    let remembered = {};
    try { remembered = JSON.parse(sessionStorage.getItem("ridealong-upload") || "{}"); } catch (e) { /* none */ }
    // Said, not silent: a note names what was filled in, with a button that clears it.
    const note = uploadForm.querySelector(".remembered-note");
    const filled = [];
    for (const name of kept) {
      const field = uploadForm.elements[name];
      if (!field || !remembered[name] || field.value === remembered[name]) continue;
      if (!field.value || field.tagName === "SELECT") {
        field.dataset.before = field.value;
        field.value = remembered[name];
        field.classList.add("remembered");
        filled.push(field);
      }
    }
    if (note && filled.length) {
      // The fields by their labels' words ("verkoper, tags"), as the page shows them.
      const names = filled.map((field) => {
        const label = field.closest("label");
        const own = label ? Array.from(label.childNodes).find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()) : null;
        return own ? own.textContent.trim().split(" (")[0].toLowerCase() : field.name;
      });
      note.querySelector(".remembered-fields").textContent = names.join(", ");
      note.hidden = false;
      note.querySelector("[data-forget-remembered]").addEventListener("click", () => {
        for (const field of filled) {
          field.value = field.dataset.before || "";
          field.classList.remove("remembered");
        }
        sessionStorage.removeItem("ridealong-upload");
        note.hidden = true;
        uploadForm.elements.salesperson?.focus();
      });
    }
    for (const field of filled) field.addEventListener("input", () => field.classList.remove("remembered"));
    const files = uploadForm.elements.file;
    if (files) {
      files.addEventListener("change", () => {
        const most = Number(uploadForm.dataset.mostFiles || 10);
        const tooMany = files.files.length > most;
        // A file over the limit is said before it is sent (it would be refused after minutes).
        const mb = Number(uploadForm.dataset.mostMb || 500);
        const big = Array.from(files.files).find((f) => f.size > mb * 1024 * 1024);
        const problem = tooMany
          ? uploadForm.dataset.tooMany.replace("%(n)s", String(most))
          : big
            ? uploadForm.dataset.tooBig.replace("%(file)s", big.name)
              .replace("%(size)s", String(Math.ceil(big.size / (1024 * 1024)))).replace("%(mb)s", String(mb))
            : "";
        files.setCustomValidity(problem);
        if (problem) files.reportValidity();
      });
    }
    uploadForm.addEventListener("submit", (event) => {
      if (event.defaultPrevented) return;
      const values = {};
      for (const name of kept) if (uploadForm.elements[name]) values[name] = uploadForm.elements[name].value;
      sessionStorage.setItem("ridealong-upload", JSON.stringify(values));
    });
  }

  // Recordings list: poll while anything is queued or processing, update rows in place.
  const table = document.getElementById("recordings");
  if (table) {
    const statusNames = JSON.parse(table.dataset.statusNames || "{}");
    const languageNames = JSON.parse(table.dataset.languageNames || "{}");
    const busy = () => table.querySelector('tr[data-status="queued"], tr[data-status="processing"]');
    const poll = async () => {
      if (!busy()) {
        // The upload notice said "transcribed now": say that it has finished.
        for (const note of document.querySelectorAll(".while-busy[data-when-done]")) {
          note.textContent = note.dataset.whenDone;
        }
        return;
      }
      try {
        const response = await fetch("/status.json", { headers: { Accept: "application/json" } });
        if (response.ok) {
          for (const item of await response.json()) {
            const row = table.querySelector(`tr[data-id="${item.id}"]`);
            if (!row) continue;
            row.dataset.status = item.status;
            const badge = row.querySelector(".badge");
            badge.textContent = statusNames[item.status] || item.status;
            badge.className = "badge status-" + item.status;
            const bar = row.querySelector("progress");
            showProgress(bar, item.progress);
            bar.hidden = !(item.status === "queued" || item.status === "processing");
            row.querySelector(".error-text").textContent = item.error || "";
            const note = row.querySelector(".note");  // absent on a page served before it was
            if (note) note.textContent = item.note || "";
            row.querySelector(".duration").textContent = item.duration;
            const language = row.querySelector(".language");
            language.textContent = languageNames[item.language] || item.language || "";
            language.title = item.language || "";
          }
        }
      } catch (e) { /* the server restarts: try again */ }
      setTimeout(poll, 1500);
    };
    setTimeout(poll, 1000);
  }

  // A recording still being transcribed: show its progress, and the transcript when done.
  const pending = document.getElementById("pending");
  if (pending) {
    const wait = async () => {
      try {
        const url = "/status.json?id=" + encodeURIComponent(pending.dataset.id);
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (response.ok) {
          const [item] = await response.json();
          if (!item || !(item.status === "queued" || item.status === "processing")) {
            // Say so before the page changes under a screen reader's cursor.
            pending.querySelector(".pending-text").textContent = pending.dataset.done;
            setTimeout(() => window.location.reload(), 600);
            return;
          }
          showProgress(pending.querySelector("progress"), item.progress);
          pending.querySelector(".pending-text").textContent =
            item.status === "queued" ? pending.dataset.queued : pending.dataset.processing;
        }
      } catch (e) { /* the server restarts: try again */ }
      setTimeout(wait, 1500);
    };
    setTimeout(wait, 1500);
  }

  // Speaker cards: "Remember this voice" is for a salesperson; offer it only with that role.
  for (const form of document.querySelectorAll("form.speaker-form")) {
    const role = form.querySelector('select[name="role"]');
    const enroll = form.querySelector('input[name="enroll"]');
    if (!role || !enroll) continue;
    const sync = () => {
      const offered = role.value === "salesperson";
      enroll.closest("label").hidden = !offered;
      if (!offered) enroll.checked = false;
    };
    role.addEventListener("change", sync);
    sync();
  }

  // Transcript: click (or Enter on) a line to play from there; follow playback.
  const player = document.getElementById("player");
  const lines = Array.from(document.querySelectorAll(".line[data-start]"));
  if (player) {
    const seek = (seconds) => { player.currentTime = seconds; player.play().catch(() => {}); };
    for (const line of lines) {
      const go = () => seek(parseFloat(line.dataset.start));
      line.addEventListener("click", (e) => { if (!e.target.closest("a")) go(); });
      line.addEventListener("keydown", (e) => {
        if (e.target !== line || (e.key !== "Enter" && e.key !== " ")) return; // not its link's
        e.preventDefault(); // Space plays, as on a button, instead of scrolling the page
        const current = line.classList.contains("playing");
        if (e.key === " " && current && !player.paused) player.pause();
        else if (e.key === " " && current) player.play().catch(() => {}); // resume, not restart
        else go();
      });
    }
    // Playing while its place is scrolled away: dock the player at the bottom of the
    // screen, so a person who started a line far down can still pause it, and resume: it
    // stays there, paused, until its place is in view again. The page makes room below.
    let away = false;
    const dock = () => {
      const docked = away && (player.classList.contains("docked") || !player.paused);
      player.classList.toggle("docked", docked);
      document.body.classList.toggle("player-docked", docked);
    };
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(([entry]) => { away = !entry.isIntersecting; dock(); })
        .observe(player.parentElement);
    }
    player.addEventListener("play", dock);
    player.addEventListener("pause", dock);
    player.addEventListener("ended", dock);
    player.addEventListener("timeupdate", () => {
      const t = player.currentTime;
      for (const line of lines) {
        line.classList.toggle("playing", t >= parseFloat(line.dataset.start) && t < parseFloat(line.dataset.end));
      }
    });
  }
  // A quote's link (#t=12.34): show its line, and cue the audio there when there is some
  // (demo conversations and imported text have none).
  const match = location.hash.match(/^#t=([\d.]+)/);
  if (match) {
    const start = parseFloat(match[1]);
    if (player) {
      // "▶ listen from": start playing there. A browser that allows no sound before a click
      // on this page refuses it quietly, and the player waits at the second instead.
      const cue = () => { player.currentTime = start; player.play().catch(() => {}); };
      if (player.readyState >= 1) cue();
      else player.addEventListener("loadedmetadata", cue, { once: true });
    }
    const line = lines.find((l) => Math.abs(parseFloat(l.dataset.start) - start) < 0.05)
      || lines.find((l) => start >= parseFloat(l.dataset.start) && start < parseFloat(l.dataset.end));
    if (line) {
      line.classList.add("playing");
      line.scrollIntoView({ block: "center" });
      // Keyboard and screen-reader users arrive at the quoted line, not the page's top.
      if (!line.hasAttribute("tabindex")) line.setAttribute("tabindex", "-1");
      line.focus({ preventScroll: true });
    }
  }
})();
