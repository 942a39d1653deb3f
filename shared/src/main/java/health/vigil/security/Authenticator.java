package health.vigil.security;

import java.util.Map;

/**
 * Turns a request's headers into a {@link Principal}: locally from an API key, in Azure from the
 * principal that App Service authentication (Entra ID) puts in front of the app.
 */
public interface Authenticator {

    /**
     * @param headers request headers with lower-case names
     * @return the caller; a request without valid credentials is an
     *     {@link health.vigil.error.AccessDeniedException} with code UNAUTHENTICATED
     */
    Principal authenticate(Map<String, String> headers);

    /**
     * Told of every request refused with 401 or 403, so the refusal becomes evidence; the platform's authenticator
     * writes it to the audit log. {@code route} is the route template the request matched as its function or page
     * declares it ({@code models/{name}/versions/{version}}), null when it matched none; {@code path} is the path as
     * the caller sent it, without the query string, of which the evidence keeps only what is safe to keep.
     * {@code principalId} is null when the caller is unknown. Nothing here may carry a credential.
     */
    default void refused(String method, String route, String path, String principalId,
            health.vigil.error.ErrorCode code) {
        // plain authenticators keep no evidence
    }

    /** Checks the caller has {@code role}; FORBIDDEN otherwise. */
    default Principal require(Map<String, String> headers, Role role) {
        Principal principal = authenticate(headers);
        if (!principal.has(role)) {
            throw new health.vigil.error.AccessDeniedException(health.vigil.error.ErrorCode.FORBIDDEN,
                    "this operation needs the role " + role.wireName() + "; the caller '" + principal.id()
                            + "' does not have it");
        }
        return principal;
    }
}
