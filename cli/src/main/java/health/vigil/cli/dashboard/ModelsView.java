package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelSummary;
import health.vigil.security.Role;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** Every registered model with its latest version and stage and what is deployed (the registry's summaries). */
final class ModelsView extends View {

    /** What the pages listing models say while there is none, and how to register the first. */
    static final String NONE_YET = "<p id=\"no-models\">No model is registered yet. A data steward registers the"
            + " evaluation data the gates judge on (<code>vigil datasets register</code>), then a data scientist uploads a"
            + " model package with <code>vigil models upload PACKAGE.zip --model NAME</code> or drops it into the home's"
            + " <code>blobs/models/</code> folder.</p>";

    ModelsView(Supplier<VigilPlatform> platform) {
        super("models", "Models", null, platform);
    }

    @Override
    Rendered render(PageRequest request) {
        VigilPlatform p = platform.get();
        List<ModelName> models = p.registry().listModels();
        if (models.isEmpty()) {
            return new Rendered("Models", NONE_YET);
        }
        Pages.Table table = Pages.table("models", "Registered models", "Model", "#Versions", "#Latest version",
                "Latest stage", "Live traffic");
        for (ModelName m : models) {
            ModelSummary s = p.registry().summary(m);
            Pages.row(table, Pages.link("/dashboard/models/" + m.value(), m.value()), s.versionCount(),
                    s.latest() == null ? "\u2013" : s.latest().version(),
                    s.latest() == null ? "\u2013" : escape(Pages.words(s.latest().stage().wireName())),
                    escape(s.currentDeployment().map(ModelsView::traffic).orElse("not deployed")));
        }
        return new Rendered("Models", Pages.end(table));
    }

    /**
     * "stable v2 100.00 %", "stable v2 99.00 %, canary v3 1.00 %", "stable v2 100.00 %; shadow v3 mirrors 10.00 % of
     * predictions".
     */
    static String traffic(Deployment d) {
        // A shadow takes no live traffic: it scores again a share of the live predictions, off the request path.
        // A running experiment's treatment holds the canary slot: say so, or it reads as a canary's ramp.
        String treatment = d.runningExperiment().map(e -> " (treatment of experiment " + e.id() + ")").orElse("");
        String live = d.slots().stream().filter(s -> s.slot() != Slot.SHADOW)
                .map(s -> slot(s) + (s.slot() == Slot.CANARY ? treatment : "")).collect(Collectors.joining(", "));
        return live + d.slot(Slot.SHADOW).filter(s -> s.weightBasisPoints() > 0)
                .map(s -> "; shadow v" + s.version() + " mirrors " + mirrored(s)).orElse("");
    }

    /** A shadow slot's weight: the share of live predictions it scores again. */
    static String mirrored(TrafficSlot shadow) {
        return Pages.weight(shadow.weightBasisPoints()) + " of predictions";
    }

    static String slot(TrafficSlot s) {
        return s.slot().wireName() + " v" + s.version() + " " + Pages.weight(s.weightBasisPoints());
    }
}
