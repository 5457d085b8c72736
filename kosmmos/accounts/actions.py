from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Invitation, Membership, Organisation, Role, User, Workspace
from kosmmos.audit.log import record
from kosmmos.lib.mailing import send_email


@transaction.atomic
def sign_up(*, name: str, email: str, password: str, organisation: str) -> User:
    """A new agency: its owner, the organisation and the owner's membership."""
    user = User.objects.create_user(email=email, password=password, first_name=name)
    create_organisation(user, organisation)
    return user


@transaction.atomic
def create_organisation(owner: User, name: str) -> Organisation:
    org = Organisation.objects.create(name=name, contact_email=owner.email)
    Membership.objects.create(organisation=org, user=owner, role=Role.OWNER)
    record(org, "organisation.created", target=org, actor=owner, changes={"name": name})
    return org


@transaction.atomic
def invite(
    organisation: Organisation, *, email: str, role: str, workspace: Workspace | None,
    by: User,
) -> Invitation:
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, role=role,
        workspace=workspace if role == Role.CLIENT else None, invited_by=by,
    )
    record(organisation, "invitation.sent", target=invitation, actor=by, changes={"role": role})
    with translation.override(by.language or "ru"):
        subject = _("%(org)s invites you to Kosmmos") % {"org": organisation.name}
        body = render_to_string("accounts/email/invitation.txt", {
            "invitation": invitation, "by": by, "role": invitation.get_role_display(),
        })
    send_email(organisation_id=organisation.pk, kind="invitation", to=[email], subject=subject, body=body)
    return invitation


@transaction.atomic
def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Make the user a member (or widen a client's access); the link then stops working."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    membership, _created = Membership.objects.get_or_create(
        organisation=locked.organisation, user=user, defaults={"role": locked.role}
    )
    if locked.workspace_id:
        membership.workspaces.add(locked.workspace_id)  # type: ignore[arg-type]  # a UUID pk; the stubs know int ones
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    record(locked.organisation_id, "invitation.accepted", target=membership, actor=user)
    return membership


@transaction.atomic
def change_role(membership: Membership, role: str) -> bool:
    """Change a member's role; the last owner cannot be demoted (someone must own the agency)."""
    if membership.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.select_for_update().filter(
            organisation=membership.organisation, role=Role.OWNER
        )
        if owners.count() <= 1:
            return False
    record(membership.organisation_id, "member.role_changed", target=membership,
           changes={"user": membership.user.email, "role": [membership.role, role]})
    membership.role = role
    membership.save(update_fields=["role"])
    return True


@transaction.atomic
def remove_member(membership: Membership) -> bool:
    if membership.role == Role.OWNER and membership.organisation.memberships.filter(
        role=Role.OWNER
    ).count() <= 1:
        return False
    record(membership.organisation_id, "member.removed", target=membership,
           changes={"user": membership.user.email, "role": membership.role})
    membership.delete()
    return True
