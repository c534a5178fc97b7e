"""Forms of the payout pages: the merchant's bank account, its confirmation, the statement."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import MerchantBankAccount

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BankAccountForm(forms.Form):
    holder_name = forms.CharField(label=_("Account holder"), max_length=140)
    bank_name = forms.CharField(label=_("Bank"), max_length=140, required=False)
    routing_number = forms.CharField(
        label=_("Routing number (ABA)"),
        max_length=11,
        help_text=_("The nine digits at the bottom left of a cheque."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=20,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_number_again = forms.CharField(
        label=_("Account number again"),
        max_length=20,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_type = forms.ChoiceField(
        label=_("Account type"),
        choices=MerchantBankAccount.AccountType.choices,
        initial=MerchantBankAccount.AccountType.CHECKING,
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("account_number")
            and cleaned.get("account_number_again")
            and cleaned["account_number"].strip() != cleaned["account_number_again"].strip()
        ):
            self.add_error("account_number_again", _("The two account numbers differ."))
        return cleaned


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class StatementForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
