from django.urls import path

from baas.auth.api import extras, flows, oauth2, otp, views

AUTH = "collections/<str:collection>/"

urlpatterns = [
    path("collections/meta/oauth2-providers", oauth2.OAuth2ProvidersView.as_view()),
    path(AUTH + "auth-methods", views.AuthMethodsView.as_view()),
    path(AUTH + "auth-with-password", views.AuthWithPasswordView.as_view()),
    path(AUTH + "auth-refresh", views.AuthRefreshView.as_view()),
    path(AUTH + "auth-with-oauth2", oauth2.AuthWithOAuth2View.as_view()),
    path(AUTH + "request-otp", otp.RequestOtpView.as_view()),
    path(AUTH + "auth-with-otp", otp.AuthWithOtpView.as_view()),
    path(AUTH + "request-verification", flows.RequestVerificationView.as_view()),
    path(AUTH + "confirm-verification", flows.ConfirmVerificationView.as_view()),
    path(AUTH + "request-password-reset", flows.RequestPasswordResetView.as_view()),
    path(AUTH + "confirm-password-reset", flows.ConfirmPasswordResetView.as_view()),
    path(AUTH + "request-email-change", flows.RequestEmailChangeView.as_view()),
    path(AUTH + "confirm-email-change", flows.ConfirmEmailChangeView.as_view()),
    path(AUTH + "impersonate/<str:record_id>", views.ImpersonateView.as_view()),
    path("oauth2-redirect", oauth2.oauth2_redirect),
    # beyond the peer (/api/x/...)
    path("x/" + AUTH + "records/<str:record_id>/logout", extras.ForceLogoutView.as_view()),
    path("x/api-keys", extras.ApiKeysView.as_view()),
    path("x/api-keys/<str:key_id>", extras.ApiKeyDetailView.as_view()),
    path("x/" + AUTH + "totp", extras.TotpView.as_view()),
    path("x/" + AUTH + "totp/confirm", extras.TotpConfirmView.as_view()),
    path("x/" + AUTH + "auth-with-totp", extras.AuthWithTotpView.as_view()),
    path("x/" + AUTH + "passkeys", extras.PasskeysView.as_view()),
    path("x/" + AUTH + "passkeys/register", extras.PasskeyRegisterView.as_view()),
    path("x/" + AUTH + "passkeys/<str:passkey_id>", extras.PasskeyDetailView.as_view()),
    path("x/" + AUTH + "passkey-options", extras.PasskeyOptionsView.as_view()),
    path("x/" + AUTH + "auth-with-passkey", extras.AuthWithPasskeyView.as_view()),
]
