// Quick exit: with JavaScript, leave without adding this page to the history.
// Without it, the link still takes the reporter away at once.
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-quick-exit]");
  if (!link) return;
  event.preventDefault();
  window.location.replace(link.href);
});
