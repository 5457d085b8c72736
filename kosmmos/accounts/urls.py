from django.contrib.auth import views as auth
from django.urls import path, reverse_lazy

from kosmmos.accounts import views
from kosmmos.accounts.forms import EmailAuthenticationForm

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "login/",
        auth.LoginView.as_view(
            template_name="accounts/login.html", authentication_form=EmailAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("organisations/new/", views.create_organisation, name="create_organisation"),
    path("organisations/<uuid:org_id>/switch/", views.switch_organisation, name="switch"),
    path("language/", views.set_language, name="set_language"),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("team/", views.team, name="team"),
    path("team/<uuid:member_id>/role/", views.member_role, name="member_role"),
    path("team/<uuid:member_id>/remove/", views.member_remove, name="member_remove"),
    path("team/invitations/<uuid:invitation_id>/revoke/", views.invitation_revoke,
         name="invitation_revoke"),
    path("settings/", views.organisation_settings, name="settings"),
    path("settings/audit/", views.audit_log, name="audit_log"),
    path("settings/rotate-brief-code/", views.rotate_brief_code, name="rotate_brief_code"),
    path("workspaces/", views.workspace_list, name="workspace_list"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("workspaces/<uuid:workspace_id>/", views.workspace_detail, name="workspace_detail"),
    path("workspaces/<uuid:workspace_id>/edit/", views.workspace_edit, name="workspace_edit"),
]
