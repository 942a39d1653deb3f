package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelSummary;
import health.vigil.security.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/** The first page: how many models, versions and deployments there are, and where to look next. */
final class OverviewView extends View {
    private final Path deadLetters;

    OverviewView(Supplier<VigilPlatform> platform, Path deadLetters) {
        super("", "Overview", null, platform);
        this.deadLetters = deadLetters;
    }

    @Override
    Rendered render(PageRequest request) {
        VigilPlatform p = platform.get();
        List<ModelName> models = p.registry().listModels();
        int versions = 0;
        int deployed = 0;
        for (ModelName m : models) {
            ModelSummary s = p.registry().summary(m);
            versions += s.versionCount();
            deployed += s.currentDeployment().isPresent() ? 1 : 0;
        }
        StringBuilder body = new StringBuilder("<dl class=\"facts\" id=\"overview\">");
        body.append("<dt>Models</dt><dd data-fact=\"models\">").append(models.size()).append("</dd>");
        body.append("<dt>Versions</dt><dd data-fact=\"versions\">").append(versions).append("</dd>");
        body.append("<dt>Deployed models</dt><dd data-fact=\"deployed\">").append(deployed).append("</dd>");
        if (request.principal().has(Role.DEPLOYMENTS_OPERATE)) {
            body.append("<dt>Dead-lettered events</dt><dd data-fact=\"dead-letters\">")
                    .append(DeadLettersView.read(deadLetters).size()).append("</dd>");
        }
        body.append("</dl>").append(models.isEmpty() ? ModelsView.NONE_YET : "").append("<p>Signed in with the roles: ").append(escape(request.principal().roles().stream()
                .map(Role::wireName).sorted().toList().toString())).append(". The navigation shows the pages those"
                + " roles open.</p>");
        return new Rendered("Overview", body.toString());
    }
}
