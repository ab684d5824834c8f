from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accord.web.views import accounts, activity, admin, auth, base, contacts, overview, playbook, trust

urlpatterns = [
    path("login/", auth.SignInView.as_view(), name="login"),
    path("login/code/", auth.signin_code, name="login_code"),
    path("account/security/", auth.security, name="security"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="web/registration/password_change.html", success_url=reverse_lazy("password_change_done")
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("healthz", base.healthz, name="healthz"),
    path("", overview.home, name="home"),
    path("contacts/", contacts.contact_list_view, name="contacts"),
    path("activity/", activity.activity, name="activity"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact"),
    path("contacts/<int:pk>/timeline/", contacts.contact_timeline_view, name="contact_timeline"),
    path("contacts/<int:pk>/stage/", contacts.contact_stage_change, name="contact_stage"),
    path("contacts/<int:pk>/stage/fields/", contacts.contact_move_fields, name="contact_move_fields"),
    path("contacts/<int:pk>/merge/", contacts.contact_merge_view, name="contact_merge"),
    path(
        "contacts/<int:pk>/duplicates/<int:pair>/dismiss/",
        contacts.contact_duplicate_dismiss,
        name="contact_duplicate_dismiss",
    ),
    path("contacts/<int:pk>/export.json", trust.contact_export_view, name="contact_export"),
    path("contacts/<int:pk>/erase/", trust.contact_erase_view, name="contact_erase"),
    path("accounts/", accounts.account_list_view, name="accounts"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account"),
    path("playbook/", playbook.playbook_active, name="playbook"),
    path("playbook/versions/", playbook.version_list_view, name="playbook_versions"),
    path("playbook/versions/new/", playbook.draft_new, name="playbook_draft_new"),
    path("playbook/versions/<int:number>/", playbook.version_detail, name="playbook_version"),
    path("playbook/versions/<int:number>/edit/", playbook.draft_edit, name="playbook_draft_edit"),
    path("playbook/versions/<int:number>/sign/", playbook.version_sign, name="playbook_sign"),
    path("playbook/versions/<int:number>/activate/", playbook.version_activate, name="playbook_activate"),
    path("playbook/versions/<int:number>/backtest/", playbook.version_backtest, name="playbook_backtest"),
    path(
        "playbook/versions/<int:number>/backtest/result/",
        playbook.version_backtest_result,
        name="playbook_backtest_result",
    ),
    path("admin/users/", admin.users_page, name="users"),
    path("admin/audit/", trust.audit_page, name="audit"),
    path("admin/audit/download.csv", trust.audit_csv, name="audit_csv"),
    path("admin/users/new/", admin.user_create_view, name="user_create"),
    path("admin/users/<int:pk>/role/", admin.user_role_view, name="user_role"),
    path("admin/teams/new/", admin.team_create_view, name="team_create"),
    path("admin/teams/<int:pk>/members/", admin.team_member_view, name="team_member"),
    path("admin/keys/new/", admin.key_create_view, name="key_create"),
    path("admin/signin/unlock/", admin.signin_unlock_view, name="signin_unlock"),
    path("admin/users/<int:pk>/two-factor/reset/", admin.user_totp_reset_view, name="user_totp_reset"),
    path("admin/keys/<int:pk>/revoke/", admin.key_revoke_view, name="key_revoke"),
]
