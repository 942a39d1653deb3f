package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.Call;
import health.vigil.json.Json;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * The codes of the tree-reading routes' refusals, as ADR 0029 and docs/api.md give them for every route: a body that
 * does not fit the route's shape is MALFORMED_JSON, a required field that is missing is INVALID_REQUEST.
 */
class RequestFieldsTest {
    private static JsonNode json(String text) {
        return Json.readTree("test body", text.getBytes(StandardCharsets.UTF_8));
    }

    private static void refused(ThrowingCallable call, ErrorCode code, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ValidationException.class,
                e -> assertThat(e.code()).isEqualTo(code)).hasMessageContaining(message);
    }

    @Test
    void aValueOfAnotherTypeIsMalformedAndTheRightTypeIsTakenAsWritten() {
        JsonNode body = json("{\"name\": 7, \"count\": \"7\", \"fraction\": 7.5, \"big\": 3000000000,"
                + " \"rate\": \"0.1\","
                + " \"text\": \"x\", \"whole\": 7, \"number\": 0.25, \"none\": null}");
        refused(() -> RequestFields.text(body, "name", "\"a\""), ErrorCode.MALFORMED_JSON, "\"name\" must be text");
        refused(() -> RequestFields.integer(body, "count", false, "3"), ErrorCode.MALFORMED_JSON, "whole number");
        refused(() -> RequestFields.integer(body, "fraction", false, "3"), ErrorCode.MALFORMED_JSON, "whole number");
        refused(() -> RequestFields.integer(body, "big", false, "3"), ErrorCode.MALFORMED_JSON, "whole number");
        refused(() -> RequestFields.number(body, "rate"), ErrorCode.MALFORMED_JSON, "\"rate\" must be a number");
        assertThat(RequestFields.text(body, "text", "\"a\"")).isEqualTo("x");
        assertThat(RequestFields.integer(body, "whole", true, "3")).isEqualTo(7);
        assertThat(RequestFields.number(body, "number")).isEqualTo(0.25);
        assertThat(RequestFields.number(body, "none")).isNull();
    }

    @Test
    void aMissingRequiredFieldBreaksTheRuleAndAnUnknownOneIsMalformed() {
        JsonNode body = json("{\"known\": 1, \"colour\": \"red\", \"none\": null}");
        refused(() -> RequestFields.integer(body, "absent", true, "3"), ErrorCode.INVALID_REQUEST,
                "\"absent\" is missing");
        refused(() -> RequestFields.integer(body, "none", true, "3"), ErrorCode.INVALID_REQUEST, "\"none\" is missing");
        refused(() -> RequestFields.requireKnown(body, Set.of("known", "none"), "the request"),
                ErrorCode.MALFORMED_JSON, "the request has an unknown field 'colour'");
        for (JsonNode missing : new JsonNode[] {body.get("absent"), body.path("absent"), body.get("none")}) {
            assertThat(Json.missingOrWrongType(missing, "m").code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        }
        assertThat(Json.missingOrWrongType(body.get("known"), "m").code()).isEqualTo(ErrorCode.MALFORMED_JSON);
    }

    @Test
    void aBodyThatIsNotAnObjectIsMalformed() {
        Call call = new Call(new Principal("operator", Set.of(Role.DEPLOYMENTS_OPERATE)), "request-1", Map.of(),
                Optional.of("[1, 2]"), Map.of());
        refused(() -> RequestFields.object(call, "{\"a\": 1}"), ErrorCode.MALFORMED_JSON, "send a JSON object such as");
    }
}
