// Checkout with Stripe: the card fields are Stripe.js's own (in Stripe's frames), so card
// details go from the browser to Stripe and never to this site. The form posts only the
// payment method's id; the server creates and confirms the payment. When the bank asks for
// 3-D Secure, the server's answer carries the payment's client secret: Stripe.js runs the
// challenge here, then the page posts back and the server settles from Stripe's own state.
(function () {
  "use strict";
  const form = document.querySelector("form.checkout[data-stripe-key]");
  if (!form || typeof Stripe !== "function") return;
  const stripe = Stripe(form.dataset.stripeKey);
  // Stripe's own field speaks the page's language too.
  const card = stripe.elements({ locale: document.documentElement.lang || "auto" }).create("card");
  card.mount("#card-element");
  const cardError = document.getElementById("card-error");
  const pay = form.querySelector("button[type=submit]");

  function showError(message) {
    cardError.textContent = message;
    pay.disabled = false;
    pay.removeAttribute("aria-busy");
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    pay.disabled = true;
    pay.setAttribute("aria-busy", "true");
    cardError.textContent = "";
    const result = await stripe.createPaymentMethod({
      type: "card",
      card: card,
      billing_details: {name: form.elements.name.value, email: form.elements.email.value},
    });
    if (!result || result.error || !result.paymentMethod) {
      showError((result && result.error && result.error.message) ||
                gettext("Your card could not be read. Check the details and try again."));
      return;
    }
    form.elements.payment_method.value = result.paymentMethod.id;
    form.submit();
  });

  const back = document.getElementById("payment-return");
  if (!back) return;
  const secret = back.dataset.clientSecret;
  if (back.dataset.nextStep === "wait") {
    setTimeout(function () { back.submit(); }, 2000);
    return;
  }
  // "confirm": our confirmation did not reach Stripe; the form is shown again to pay anew.
  if (back.dataset.nextStep !== "authenticate") return;
  // 3-D Secure (or any other step the bank asks for): Stripe.js shows it, then we settle.
  const next = stripe.handleNextAction
    ? stripe.handleNextAction({clientSecret: secret})
    : stripe.confirmCardPayment(secret);
  next.then(function () { back.submit(); }, function () { back.submit(); });
})();
