package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.cards.ModelCard;
import health.vigil.cards.ModelCardHtml;
import health.vigil.cards.ModelCardMarkdown;
import health.vigil.cards.ModelCards;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.ContentNegotiation;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The model card of a version, generated on each request, in the representation the caller's {@code Accept} asks
 * for: JSON (the default), one self-contained HTML page, or Markdown.
 */
public final class CardFunctions {
    static final String HTML = "text/html";
    static final String MARKDOWN = "text/markdown";
    static final String JSON = "application/json";
    static final List<String> OFFERED = List.of(JSON, HTML, MARKDOWN);
    /** The HTML card loads nothing: no script, font, image or style from anywhere. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none';"
            + " form-action 'none'; frame-ancestors 'none'";

    private final ModelCards cards;
    private final HttpApi http;

    public CardFunctions(VigilPlatform platform, HttpApi http) {
        this.cards = platform.cards();
        this.http = http;
    }

    @FunctionName("GetModelCard")
    public HttpResponseMessage card(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/versions/{version}/card",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> {
            String type = ContentNegotiation.choose(call.header("accept"), OFFERED);
            ModelCard card = cards.card(new ModelName(name), HttpApi.version(version));
            return switch (type) {
                case HTML -> Reply.text(HTML, ModelCardHtml.render(card),
                        Map.of("Vary", "Accept", "Content-Security-Policy", CONTENT_SECURITY_POLICY));
                case MARKDOWN -> Reply.text(MARKDOWN, ModelCardMarkdown.render(card), Map.of("Vary", "Accept"));
                default -> new Reply(200, card, Map.of("Vary", "Accept"));
            };
        });
    }
}
