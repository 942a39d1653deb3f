package health.vigil.cards;

import health.vigil.html.HtmlText;
import health.vigil.model.ElectronicSignature;
import health.vigil.text.Words;
import java.util.Locale;

/**
 * A {@link ModelCard} as Markdown, for review in a pull request or a document: the same summary, attributes and
 * segment table as the HTML card; the two curves as tables of their points instead of charts.
 */
public final class ModelCardMarkdown {
    private ModelCardMarkdown() {}

    public static String render(ModelCard card) {
        StringBuilder m = new StringBuilder(8_192);
        m.append("# Model card: ").append(text(card.model())).append(" version ").append(card.version()).append("\n\n");
        m.append("Stage **").append(card.stage().toLowerCase(Locale.ROOT)).append("**; generated ").append(Words.time(card.generatedAt()))
                .append(" from the manifest, the registry, the gate report and the approvals. The attributes follow"
                        + " ONC HTI-1, 45 CFR 170.315(b)(11)(iv)(B).\n\n");
        ModelCard.Summary s = card.summary();
        m.append("## Summary\n\n");
        m.append("- Gates: ").append(text(s.gatesOutcome())).append('\n');
        if (s.fairnessGate() != null) {
            m.append("- Fairness (segments gate): ").append(text(s.fairnessGate())).append('\n');
        }
        m.append("- Flagged for review: ").append(s.flaggedChecks().isEmpty() ? "none" : String.join(", ", s.flaggedChecks()))
                .append('\n');
        if (s.auroc() != null) {
            m.append("- AUROC: ").append(ModelCard.measured(s.auroc())).append('\n');
        }
        if (s.expectedCalibrationError() != null) {
            m.append("- Expected calibration error: ").append(ModelCard.measured(s.expectedCalibrationError())).append('\n');
        }
        m.append("- Signed by: ").append(s.signedBy().isEmpty() ? "nobody yet" : text(String.join("; ", s.signedBy())))
                .append('\n');
        m.append("- Deployed: ").append(s.deployedSlot() == null ? "no" : s.deployedSlot() + " slot").append('\n');
        m.append("- HTI-1 attributes not provided: ").append(s.notProvided().isEmpty() ? "none"
                : s.notProvided().size() + " (" + String.join(", ", s.notProvided()) + ")").append("\n\n");
        for (ModelCard.Section section : card.hti1()) {
            m.append("## ").append(section.paragraph()).append(' ').append(section.title()).append("\n\n");
            for (ModelCard.Attribute a : section.attributes()) {
                m.append("### ").append(a.paragraph()).append(' ').append(a.title()).append("\n\n");
                a.values().forEach(v -> m.append("- ").append(text(v)).append('\n'));
                if (!a.provided()) {
                    m.append("- *").append(ModelCard.NOT_PROVIDED).append(a.missing() == null ? "" : " (" + text(a.missing()) + ")")
                            .append("*\n");
                }
                m.append("\nSource: ").append(a.source()).append("\n\n");
            }
        }
        m.append("## Performance by segment\n\n");
        if (card.segments().isEmpty()) {
            m.append("*").append(ModelCard.NOT_PROVIDED).append("*\n\n");
        } else {
            m.append("| column | value | rows | AUROC | calibration error | gate |\n|---|---|---:|---:|---:|---|\n");
            for (ModelCard.Segment g : card.segments()) {
                m.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s |%n", text(g.column()),
                        text(g.value()), g.rows(), ModelCard.measured(g.auroc()), ModelCard.measured(g.calibrationError()),
                        g.passed() ? "passed" : "failed"));
            }
            m.append('\n');
        }
        if (card.curves() != null && !card.curves().calibration().isEmpty()) {
            m.append("## Calibration\n\n| bin | rows | mean risk | observed rate |\n|---|---:|---:|---:|\n");
            card.curves().calibration().forEach(b -> m.append(String.format(Locale.ROOT, "| %.1f-%.1f | %d | %s | %s |%n",
                    b.lower(), b.upper(), b.count(), Words.number(b.meanScore()), Words.number(b.observedRate()))));
            m.append("\n## ROC curve\n\n| false positive rate | true positive rate |\n|---:|---:|\n");
            card.curves().roc().forEach(p -> m.append("| ").append(Words.number(p.falsePositiveRate())).append(" | ")
                    .append(Words.number(p.truePositiveRate())).append(" |\n"));
            m.append('\n');
        }
        m.append("## Approvals\n\n");
        if (card.signatures().isEmpty()) {
            m.append("*no signature yet*\n");
        }
        for (ElectronicSignature sig : card.signatures()) {
            m.append("- ").append(text(sig.printedName())).append(" (").append(text(sig.signerId())).append("), ")
                    .append(sig.meaning().phrase()).append(", ").append(Words.time(sig.signedAt())).append(", package sha256 ")
                    .append(sig.packageSha256()).append(": ").append(text(sig.justification())).append('\n');
        }
        return m.toString();
    }

    /**
     * Text on one line with the characters that would start Markdown or HTML markup escaped, and control and
     * bidirectional characters named ({@link HtmlText#named}): the card is read on terminals, where a carriage return
     * or an escape sequence would rewrite what is shown. Named first, so a name's brackets are escaped too.
     */
    private static String text(String value) {
        return HtmlText.named(value.replace('\r', ' ').replace('\n', ' '))
                .replaceAll("([\\\\`*_{}\\[\\]<>#|!])", "\\\\$1");
    }
}
