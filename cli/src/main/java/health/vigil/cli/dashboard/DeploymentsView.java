package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.TrafficSlot;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Each model's deployment: its revision, who changed it when, and the traffic slots with their weights. */
final class DeploymentsView extends View {

    DeploymentsView(Supplier<VigilPlatform> platform) {
        super("deployments", "Deployments", null, platform);
    }

    @Override
    Rendered render(PageRequest request) {
        VigilPlatform p = platform.get();
        StringBuilder body = new StringBuilder();
        int shown = 0;
        for (ModelName m : p.registry().listModels()) {
            Optional<Deployment> found = p.registry().deployment(m);
            if (found.isEmpty()) {
                continue;
            }
            Deployment d = found.get();
            shown++;
            body.append("<section aria-labelledby=\"deployment-").append(escape(m.value())).append("\"><h2 id=\"deployment-")
                    .append(escape(m.value())).append("\">").append(escape(m.value())).append("</h2><p>Revision ")
                    .append(d.revision()).append(", changed ").append(Pages.time(d.updatedAt())).append(" by ")
                    .append(escape(d.updatedBy() == null ? "\u2013" : d.updatedBy())).append(".</p>");
            List<String> labels = new ArrayList<>();
            List<Integer> weights = new ArrayList<>();
            StringBuilder table = Pages.table("slots-" + m.value(), "Traffic slots of " + m.value(), "Slot",
                    "Version", "#Weight");
            for (TrafficSlot s : d.slots()) {
                Pages.row(table, escape(s.slot().wireName()), Pages.link("/dashboard/models/" + m.value(),
                        "version " + s.version()), "#" + Pages.weight(s.weightBasisPoints()));
                labels.add(s.slot().wireName() + " v" + s.version());
                weights.add(s.weightBasisPoints());
            }
            body.append(Charts.weights("weights-" + m.value(), "Live traffic of " + m.value() + ": "
                    + ModelsView.traffic(d), labels, weights));
            body.append(Pages.end(table)).append("</section>");
        }
        if (shown == 0) {
            body.append("<p>No model is deployed yet. An operator deploys a registered version with"
                    + " <code>POST /models/{name}/versions/{version}/deploy</code>.</p>");
        }
        return new Rendered("Deployments", body.toString());
    }
}
