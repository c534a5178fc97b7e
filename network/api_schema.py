"""OpenAPI description of the API-key authentication (imported when the app is ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "network.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API key, `Authorization: Bearer gumn_…`. "
            "Create keys under Integrations; each key carries scopes.",
        }
