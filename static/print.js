// The Print button of the printable pages (the receipt, the explanation of a refusal): a
// tablet has no Ctrl+P. The button is hidden in the HTML and shown here, so without
// JavaScript there is no button that does nothing; the page itself needs no script.
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
