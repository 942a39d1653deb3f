package health.vigil.cli.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.ext.heading.anchor.HeadingAnchorExtension;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Code;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.Image;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Link;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.AttributeProvider;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * A runbook's Markdown as the markup of a dashboard page, by commonmark-java with GitHub's tables and heading anchors,
 * so that a link to {@code alerts.md#background-function-failures} lands where it does on GitHub. Raw HTML in the
 * Markdown is shown as text, never passed through. A link to another runbook goes to its page on the dashboard; a link
 * to a document the dashboard does not serve (the rest of {@code docs/}) is shown as its text, not as a link that
 * leads nowhere; an image, which the pages' policy would not load, as its description.
 */
final class RunbookHtml {
    /** A link to a runbook as the runbooks write it: {@code rollback.md}, {@code alerts.md#a-heading}. */
    private static final Pattern RUNBOOK_LINK = Pattern.compile("([a-z0-9-]+)\\.md(#[A-Za-z0-9_-]*)?");
    /** Code blocks wrap rather than widen the page, which must read whole on a phone. */
    private static final String WRAPPED = "white-space:pre-wrap;overflow-wrap:anywhere";
    private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create(),
            HeadingAnchorExtension.create());
    private static final Parser PARSER = Parser.builder().extensions(EXTENSIONS).build();
    // No URL sanitizer: a link keeps its destination only when it is a heading, a runbook or an https page (Links).
    private static final HtmlRenderer RENDERER = HtmlRenderer.builder().extensions(EXTENSIONS).escapeHtml(true)
            .attributeProviderFactory(context -> new WrappedCode()).build();

    private RunbookHtml() {}

    /** The runbook {@code name}, one of {@link RunbookView#NAMES}, as the jar holds it. */
    static View.Rendered page(String name) {
        String resource = "runbooks/" + name + ".md";
        try (InputStream in = RunbookHtml.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the CLI was built without the runbook " + resource);
            }
            return render(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
        } catch (IOException e) {
            throw new UncheckedIOException("the runbook " + resource + " cannot be read", e);
        }
    }

    /**
     * A runbook's page: its first top-level heading is the page's title (the dashboard draws it as the page's own
     * heading), the rest its body; {@code fallbackTitle} when it has no such heading.
     */
    static View.Rendered render(String markdown, String fallbackTitle) {
        Node document = PARSER.parse(markdown);
        String title = fallbackTitle;
        if (document.getFirstChild() instanceof Heading heading && heading.getLevel() == 1) {
            title = text(heading);
            heading.unlink();
        }
        Links links = new Links();
        document.accept(links);
        links.rewrite();
        String body = "<article class=\"runbook\" style=\"overflow-wrap:anywhere\">" + RENDERER.render(document)
                + "</article><p class=\"muted\">This runbook is the one this release of Vigil was built with. A"
                + " document it names outside the runbooks is in the docs folder of the release's source.</p>";
        return new View.Rendered(title, body);
    }

    /** The text of a node and its children, as a reader sees it. */
    private static String text(Node node) {
        StringBuilder text = new StringBuilder();
        node.accept(new AbstractVisitor() {
            @Override
            public void visit(Text t) {
                text.append(t.getLiteral());
            }

            @Override
            public void visit(Code code) {
                text.append(code.getLiteral());
            }

            @Override
            public void visit(HtmlInline html) {
                text.append(html.getLiteral());
            }
        });
        return text.toString();
    }

    /** The links and images of a runbook, gathered first and changed after, so the walk never meets a moved node. */
    private static final class Links extends AbstractVisitor {
        private final List<Link> links = new ArrayList<>();
        private final List<Image> images = new ArrayList<>();

        @Override
        public void visit(Link link) {
            links.add(link);
            visitChildren(link);
        }

        @Override
        public void visit(Image image) {
            images.add(image);
        }

        void rewrite() {
            for (Link link : links) {
                String target = target(link.getDestination());
                if (target == null) {
                    unwrap(link);
                } else {
                    link.setDestination(target);
                }
            }
            images.forEach(RunbookHtml::unwrap);
        }

        /** Where a link of a runbook goes on the dashboard, or null when the dashboard does not serve it. */
        private static String target(String destination) {
            if (destination.startsWith("#") || destination.startsWith("https://")) {
                return destination;
            }
            Matcher runbook = RUNBOOK_LINK.matcher(destination);
            if (runbook.matches() && RunbookView.NAMES.contains(runbook.group(1))) {
                return RunbookView.href(runbook.group(1)) + (runbook.group(2) == null ? "" : runbook.group(2));
            }
            return null;
        }
    }

    /** A node replaced by its children: a link by its text, an image by its description. */
    private static void unwrap(Node node) {
        Node child = node.getFirstChild();
        while (child != null) {
            Node next = child.getNext();
            node.insertBefore(child);
            child = next;
        }
        node.unlink();
    }

    /** Gives each code block's {@code pre} the style that wraps its lines. */
    private static final class WrappedCode implements AttributeProvider {
        @Override
        public void setAttributes(Node node, String tagName, Map<String, String> attributes) {
            if (tagName.equals("pre") && (node instanceof FencedCodeBlock || node instanceof IndentedCodeBlock)) {
                attributes.put("style", WRAPPED);
            }
        }
    }
}
