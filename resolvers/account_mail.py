"""The mails of a member's own account: the link to confirm their address, mailed at
registration, and the link to choose a new password. Both go through the outbox, in the
transaction that issues their token, in the member's language."""

from __future__ import annotations

from models import AccountTokenPurpose, Member
from resolvers import account_tokens
from resolvers.outbox import OutgoingMail, enqueue_mails
from resolvers.services import UnitOfWork

CONFIRM_LINK = "/confirm-email?token={token}"
RESET_LINK = "/reset-password?token={token}"

_CONFIRM = {
    "en": (
        "Indigo: confirm your address",
        "Hello {name},\n\nWelcome to Indigo! Confirm your address by opening this link:\n\n"
        "{link}\n",
    ),
    "fr": (
        "Indigo : confirmez votre adresse",
        "Bonjour {name},\n\nBienvenue dans Indigo ! Confirmez votre adresse en ouvrant ce "
        "lien :\n\n{link}\n",
    ),
}
_RESET = {
    "en": (
        "Indigo: choose a new password",
        "Hello {name},\n\nTo choose a new password, open this link within the hour:\n\n"
        "{link}\n\nIf you did not ask for it, ignore this mail: your password stays as it is.\n",
    ),
    "fr": (
        "Indigo : choisissez un nouveau mot de passe",
        "Bonjour {name},\n\nPour choisir un nouveau mot de passe, ouvrez ce lien dans "
        "l'heure :\n\n{link}\n\nSi vous ne l'avez pas demandé, ignorez ce mail : votre mot de "
        "passe reste le même.\n",
    ),
}
CONFIRMATION_SUBJECTS = frozenset(subject for subject, _ in _CONFIRM.values())
_MAILS = {
    AccountTokenPurpose.CONFIRM_EMAIL: (CONFIRM_LINK, _CONFIRM),
    AccountTokenPurpose.RESET_PASSWORD: (RESET_LINK, _RESET),
}


async def mail_token(work: UnitOfWork, member: Member, purpose: AccountTokenPurpose) -> None:
    """Issue a token for `purpose` and mail its link to the member."""
    assert member.id is not None
    token = await account_tokens.issue(work.session, member.id, purpose)
    path, texts = _MAILS[purpose]
    subject, body = texts.get(member.language, texts["en"])
    link = work.mail.link(path.format(token=token))
    body = body.format(name=member.display_name, link=link)
    await enqueue_mails(work, [OutgoingMail(member.email, subject, body, member.id)])
