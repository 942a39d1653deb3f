package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.functions.scoring.explanation.ExplanationPage;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A past prediction's explanation, found by its id: the same view the scoring app serves at
 * {@code /predictions/{id}/explanation}, from the same stored explanation, inside the dashboard.
 */
final class PredictionView extends View {
    PredictionView(Supplier<VigilPlatform> platform) {
        super("predictions", "Explanations", Role.SCORING_INVOKE, platform);
    }

    @Override
    Rendered render(PageRequest request) {
        Optional<String> id = request.param("id").map(String::strip);
        StringBuilder body = new StringBuilder("<form method=\"get\" action=\"/dashboard/predictions\" class=\"login\">"
                + "<label for=\"id\">Prediction id (from the scoring answer)</label><input id=\"id\" name=\"id\""
                // A UUID in a proportional font passed the box's width at a phone's 400 px for some ids; in monospace
                // every id has one width, which fits.
                + " class=\"identifier\" required value=\"" + escape(id.orElse("")) + "\">"
                + "<button type=\"submit\">Show the explanation</button></form>");
        if (id.isPresent()) {
            // Text that is no id is refused by the read, which audits it as it does every lookup.
            var explanation = platform.get().explanations().explanation(id.get(), request.principal().id());
            // Under the page's own h1, the explanation's title is an h2.
            body.append(ExplanationPage.fragment(explanation, VersionView.href(explanation.model(),
                    explanation.version()) + "/card", 2));
        }
        return new Rendered("Explanation of a prediction", body.toString());
    }
}
