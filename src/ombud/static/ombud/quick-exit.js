// Quick exit: the link goes to /report/exit/, which ends the reporter's session and
// draft and then leaves; without JavaScript that is all. With it, the page she was
// on is also replaced in the history, so Back does not even ask for it again.
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-quick-exit]");
  if (!link) return;
  event.preventDefault();
  window.location.replace(link.href);
});
