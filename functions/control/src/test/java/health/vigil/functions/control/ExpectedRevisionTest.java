package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.Call;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** How a deploy's or rollback's {@code If-Match} becomes the deployment revision its caller read. */
class ExpectedRevisionTest {
    private static Call call(Map<String, String> headers) {
        return new Call(new Principal("operator", Set.of(Role.DEPLOYMENTS_OPERATE)), "request-1", Map.of(),
                Optional.empty(), headers);
    }

    @Test
    void theRevisionIsReadQuotedAsAnEntityTagOrBareAndNoHeaderIsNoPrecondition() {
        assertThat(ModelFunctions.expectedRevision(call(Map.of("if-match", "\"12\"")))).isEqualTo(OptionalLong.of(12));
        assertThat(ModelFunctions.expectedRevision(call(Map.of("if-match", " 7 ")))).isEqualTo(OptionalLong.of(7));
        assertThat(ModelFunctions.expectedRevision(call(Map.of()))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "W/\"12\"", "\"12", "12\"", "0", "012", "\"1\", \"2\"", "twelve", "MRN-4471",
            "99999999999999999999"})
    void anythingElseIsRefusedWithTheFormAndNotRepeated(String sent) {
        assertThatThrownBy(() -> ModelFunctions.expectedRevision(call(Map.of("if-match", sent))))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST))
                .hasMessageContaining("If-Match must name one revision of the deployment")
                .message().doesNotContain("MRN").doesNotContain("twelve").doesNotContain("9999");
    }
}
