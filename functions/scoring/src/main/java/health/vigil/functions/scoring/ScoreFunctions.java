package health.vigil.functions.scoring;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.functions.scoring.score.ScoreApi;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.util.Optional;

/**
 * The plain JSON scoring route: one patient or a batch in, risk, decision, model version and the top
 * contributing factors out ({@code ?explain=false} leaves the explanations out).
 */
public final class ScoreFunctions {
    private final ScoreApi scoreApi;
    private final HttpApi http;

    public ScoreFunctions(VigilPlatform platform, HttpApi http) {
        this.scoreApi = new ScoreApi(platform.scoring());
        this.http = http;
    }

    private static final java.util.Set<String> QUERY = java.util.Set.of("explain");

    @FunctionName("Score")
    public HttpResponseMessage score(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "score/{name}",
                    authLevel = AuthorizationLevel.ANONYMOUS, dataType = "binary")
                    HttpRequestMessage<Optional<byte[]>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handleBytes(request, context, Access.role(Role.SCORING_INVOKE),
                call -> {
                    call.takesOnlyQuery(QUERY);
                    return scoreApi.score(new ModelName(name), call.json(), call.flag("explain", true));
                });
    }
}
