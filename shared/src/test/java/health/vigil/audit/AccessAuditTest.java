package health.vigil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.error.ErrorCode;
import health.vigil.model.AuditRecord;
import health.vigil.security.Authenticator;
import health.vigil.security.Principal;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessAuditTest {
    InMemoryAuditStore store = new InMemoryAuditStore();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-03T10:15:00Z"));
    Authenticator keys = headers -> new Principal("clinical-app", Set.of());
    AccessAudit access = new AccessAudit(keys, new AuditLog(store, clock));

    @Test
    void aRefusalIsRecordedWithRouteAndPrincipalAndNothingElse() {
        access.refused("GET", "audit/records", "/audit/records", "clinical-app", ErrorCode.FORBIDDEN);
        access.refused("POST", "score/{name}", "/score/readmission", null, ErrorCode.UNAUTHENTICATED);

        var records = store.read("2026-11-03");
        assertThat(records).extracting(AuditRecord::actor).containsExactly("clinical-app", AccessAudit.UNKNOWN_CALLER);
        assertThat(records).extracting(AuditRecord::action).containsOnly("access.refused");
        assertThat(records.get(0).subject()).isEqualTo("GET /audit/records");
        assertThat(records.get(0).details()).isEqualTo(Map.of("method", "GET", "route", "/audit/records",
                "status", "403", "code", "FORBIDDEN"));
        assertThat(records.get(1).subject()).as("a well-formed model name says what was asked for")
                .isEqualTo("POST /score/readmission");
        assertThat(records.get(1).details()).containsEntry("status", "401");
    }

    @Test
    void whatACallerTypedIntoAUrlIsNotWrittenIntoTheTrail() {
        access.refused("GET", "models/{name}/versions/{version}", "/models/John Smith MRN-5551234/versions/3", null,
                ErrorCode.UNAUTHENTICATED);
        access.refused("GET", "models/{name}/versions/{version}", "/models/PAT-SECRET-P/versions/5551234", null,
                ErrorCode.UNAUTHENTICATED);
        access.refused("GET", "predictions/{id}/explanation", "/predictions/MRN-5551234/explanation", "clinical-app",
                ErrorCode.FORBIDDEN);
        access.refused("GET", "models/{name}", "/models/readmission?patient=MRN-5551234", null,
                ErrorCode.UNAUTHENTICATED);
        access.refused("PATIENT-X", null, "/no/such/MRN-5551234", null, ErrorCode.UNAUTHENTICATED);

        var records = store.read("2026-11-03");
        assertThat(records).extracting(AuditRecord::subject).containsExactly(
                "GET /models/{name}/versions/{version}", "GET /models/{name}/versions/{version}",
                "GET /predictions/{id}/explanation", "GET /models/{name}",
                "OTHER " + AccessAudit.NO_ROUTE);
        assertThat(records.get(4).details()).isEqualTo(Map.of("method", "OTHER", "route", AccessAudit.NO_ROUTE,
                "status", "401", "code", "UNAUTHENTICATED"));
        assertThat(records.toString()).doesNotContain("MRN").doesNotContain("PAT-").doesNotContain("5551234")
                .doesNotContain("Smith");
    }

    @Test
    void authenticationIsTheWrappedAuthenticators() {
        assertThat(access.authenticate(Map.of()).id()).isEqualTo("clinical-app");
        assertThat(store.partitions()).isEmpty();
    }
}
