from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """No public sign-up: force admins create accounts (``hotpatrol users create`` or the admin)."""

    def is_open_for_signup(self, request):
        return False
