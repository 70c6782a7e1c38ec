"""Django's makemessages, knowing ``ticketing.i18n.n_`` (plural messages made lazily)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=n_:1,2"]
