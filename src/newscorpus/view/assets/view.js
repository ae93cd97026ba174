// newscorpus view: the site's only script. It reads the page and never builds HTML from text:
// details are copied as DOM nodes, filters compare text content.
"use strict";

function showText(id) {
  for (const button of document.querySelectorAll(".toggle button")) {
    const target = document.getElementById(button.dataset.show);
    const on = button.dataset.show === id;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    if (target) target.hidden = !on;
  }
}

function showDetails(entity) {
  const panel = document.getElementById("details");
  const row = document.getElementById("row-" + entity.dataset.id);
  if (!panel || !row) return;
  for (const old of document.querySelectorAll(".selected")) old.classList.remove("selected");
  entity.classList.add("selected");
  row.classList.add("selected");
  const table = document.createElement("table");
  table.append(document.querySelector("table.entities thead").cloneNode(true));
  const body = document.createElement("tbody");
  body.append(row.cloneNode(true));
  body.firstChild.removeAttribute("id");
  table.append(body);
  panel.replaceChildren(table);
  panel.hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll(".toggle button")) {
    button.addEventListener("click", () => showText(button.dataset.show));
  }
  for (const entity of document.querySelectorAll("#text-normalised .ent")) {
    entity.addEventListener("click", (event) => {
      event.stopPropagation();
      showDetails(entity);
    });
    entity.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        showDetails(entity);
      }
    });
  }
  const filter = document.getElementById("filter");
  if (filter) {
    filter.addEventListener("input", () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const row of document.querySelectorAll("#documents tbody tr")) {
        const text = row.textContent.toLowerCase();
        row.hidden = !words.every((word) => text.includes(word));
      }
    });
  }
});
