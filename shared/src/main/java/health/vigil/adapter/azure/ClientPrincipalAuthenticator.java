package health.vigil.adapter.azure;

import health.vigil.security.Authenticator;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Authentication in Azure: App Service authentication (Entra ID) validates the token in front of the app
 * and passes the caller as a base64 JSON document in {@code x-ms-client-principal}; app roles arrive as
 * {@code roles} claims. The header cannot be forged from outside because App Service strips it from
 * incoming requests when authentication is on (the Bicep templates require it).
 */
final class ClientPrincipalAuthenticator implements Authenticator {
    static final String HEADER = "x-ms-client-principal";

    @Override
    public Principal authenticate(Map<String, String> headers) {
        String encoded = headers.get(HEADER);
        if (encoded == null || encoded.isBlank()) {
            throw new AccessDeniedException(ErrorCode.UNAUTHENTICATED,
                    "no authenticated caller: call with an Entra ID access token for this app");
        }
        JsonNode principal;
        try {
            principal = Json.readTree(HEADER, Base64.getDecoder().decode(encoded.trim()));
        } catch (IllegalArgumentException | ValidationException e) {
            throw new AccessDeniedException(ErrorCode.UNAUTHENTICATED, "the client principal header is not valid");
        }
        String id = null;
        String name = null;
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (JsonNode claim : principal.path("claims")) {
            String type = claim.path("typ").asText();
            String value = claim.path("val").asText();
            if ("roles".equals(type) || type.endsWith("/claims/role")) {
                Role.fromWire(value).ifPresent(roles::add);
            } else if ("http://schemas.microsoft.com/identity/claims/objectidentifier".equals(type) || "oid".equals(type)) {
                id = value;
            } else if ("name".equals(type)) {
                name = value;
            }
        }
        if (id == null) {
            id = principal.path("userId").asText(null);
        }
        if (id == null || id.isBlank()) {
            throw new AccessDeniedException(ErrorCode.UNAUTHENTICATED, "the client principal has no object id");
        }
        return new Principal(id, name, roles);
    }
}
