package health.vigil.functions.scoring;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.ContentNegotiation;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.functions.scoring.explanation.ExplanationPage;
import health.vigil.platform.VigilPlatform;
import health.vigil.scoring.PredictionExplanation;
import health.vigil.scoring.PredictionExplanations;
import health.vigil.security.Role;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The clinician's view of a past prediction: why the model gave the patient that risk, as recorded when the
 * patient was scored. A page (or, with {@code ?fragment=true}, a section to embed) by default; JSON of the same
 * for {@code Accept: application/json}. A refusal is a short page too when the client prefers HTML, JSON otherwise.
 */
public final class ExplanationFunctions {
    private static final String JSON = "application/json";
    /** A page first: a browser's Accept header names HTML, a client that wants JSON says so. */
    private static final List<String> OFFERED = List.of("text/html", JSON);
    /** A misspelt {@code ?Fragment=true} is refused rather than answered with the whole page. */
    private static final java.util.Set<String> QUERY = java.util.Set.of("fragment");
    private final PredictionExplanations explanations;
    private final HttpApi http;

    public ExplanationFunctions(VigilPlatform platform, HttpApi http) {
        this.explanations = platform.explanations();
        this.http = http;
    }

    @FunctionName("PredictionExplanation")
    public HttpResponseMessage explanation(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "predictions/{id}/explanation",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("id") String id,
            ExecutionContext context) {
        // Its errors too are a page for a browser: a clinician who follows a stale link reads why, not JSON.
        return http.handlePage(request, context, Access.role(Role.SCORING_INVOKE), call -> {
            call.takesOnlyQuery(QUERY);
            // Read before anything else, so that a fragment= that is not true or false is refused on every answer.
            boolean fragment = call.flag("fragment", false);
            // Chosen before the read: an Accept that no form answers (406) is refused before the read is audited as
            // one, since nothing of the explanation is given.
            boolean json = ContentNegotiation.choose(call.header("accept"), OFFERED).equals(JSON);
            // The id's form is checked by the read itself, so that an id refused for its form is audited as well.
            PredictionExplanation explanation = explanations.explanation(id, call.principal().id());
            if (json) {
                return new Reply(200, explanation, Map.of("Vary", "Accept"));
            }
            return Reply.page(fragment ? ExplanationPage.embeddable(explanation)
                    : ExplanationPage.page(explanation));
        });
    }
}
