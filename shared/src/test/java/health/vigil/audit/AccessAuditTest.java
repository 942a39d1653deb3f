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
        access.refused("GET", "/audit/records", "clinical-app", ErrorCode.FORBIDDEN);
        access.refused("POST", "/score/readmission", null, ErrorCode.UNAUTHENTICATED);

        var records = store.read("2026-11-03");
        assertThat(records).extracting(AuditRecord::actor).containsExactly("clinical-app", AccessAudit.UNKNOWN_CALLER);
        assertThat(records).extracting(AuditRecord::action).containsOnly("access.refused");
        assertThat(records.get(0).subject()).isEqualTo("GET /audit/records");
        assertThat(records.get(0).details()).isEqualTo(Map.of("method", "GET", "route", "/audit/records",
                "status", "403", "code", "FORBIDDEN"));
        assertThat(records.get(1).details()).containsEntry("status", "401");
    }

    @Test
    void whatAStrangerTypedIntoAUrlIsNotWrittenIntoTheTrail() {
        access.refused("GET", "/models/John Smith MRN-5551234 DOB 1950-01-01/versions/3", null, ErrorCode.UNAUTHENTICATED);
        access.refused("GET", "/predictions/0193a5e2-7c1d-7000-8000-0123456789ab/explanation", null,
                ErrorCode.UNAUTHENTICATED);

        var records = store.read("2026-11-03");
        assertThat(records.get(0).subject()).isEqualTo("GET /models/*/versions/3");
        assertThat(records.get(0).details()).containsEntry("route", "/models/*/versions/3");
        assertThat(records.get(1).subject()).as("ids and names stay: they say what was asked for")
                .isEqualTo("GET /predictions/0193a5e2-7c1d-7000-8000-0123456789ab/explanation");
        assertThat(AccessAudit.route("/" + "a".repeat(400))).isEqualTo("/*");
        assertThat(AccessAudit.route("/" + "ab/".repeat(200))).endsWith("...").hasSize(AccessAudit.MAX_PATH + 3);
    }

    @Test
    void authenticationIsTheWrappedAuthenticators() {
        assertThat(access.authenticate(Map.of()).id()).isEqualTo("clinical-app");
        assertThat(store.partitions()).isEmpty();
    }
}
