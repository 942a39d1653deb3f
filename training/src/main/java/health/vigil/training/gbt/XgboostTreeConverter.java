package health.vigil.training.gbt;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.json.Json;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Turns a trained binary:logistic XGBoost booster into a {@link TreeEnsemble}: trees from the JSON model
 * dump with statistics (split feature, threshold, yes/no/missing children, leaf values, cover), and the
 * base margin from the model's {@code base_score}. XGBoost goes to "yes" when {@code x < threshold}, so
 * every branch is {@link NodeMode#BRANCH_LT}; thresholds and leaves are single precision, as in XGBoost.
 */
public final class XgboostTreeConverter {
    private static final Pattern FEATURE = Pattern.compile("f(\\d+)");

    private XgboostTreeConverter() {}

    public static TreeEnsemble convert(Booster booster, int featureCount) {
        try {
            String[] dump = booster.getModelDump((String) null, true, "json");
            List<TreeEnsemble.Tree> trees = new ArrayList<>(dump.length);
            for (int t = 0; t < dump.length; t++) {
                trees.add(tree(Json.readTree("XGBoost tree " + t, dump[t].getBytes(java.nio.charset.StandardCharsets.UTF_8))));
            }
            return new TreeEnsemble(featureCount, baseMargin(booster), trees);
        } catch (XGBoostError e) {
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, "XGBoost could not dump its model: " + e.getMessage(), e);
        }
    }

    /** logit(base_score): the margin every row starts from before the trees add their leaf values. */
    static double baseMargin(Booster booster) throws XGBoostError {
        JsonNode model = Json.readTree("XGBoost model", booster.toByteArray("json"));
        JsonNode learner = model.path("learner");
        String objective = learner.path("objective").path("name").asText();
        if (!objective.equals("binary:logistic")) {
            throw new IllegalArgumentException("only binary:logistic boosters convert; this one is " + objective);
        }
        String text = learner.path("learner_model_param").path("base_score").asText().replace("[", "").replace("]", "");
        double baseScore = Float.parseFloat(text);
        return Math.log(baseScore / (1.0 - baseScore));
    }

    private static final class Nodes {
        final List<NodeMode> mode = new ArrayList<>();
        final List<Integer> feature = new ArrayList<>();
        final List<Double> threshold = new ArrayList<>();
        final List<Integer> yes = new ArrayList<>();
        final List<Integer> no = new ArrayList<>();
        final List<Boolean> missingYes = new ArrayList<>();
        final List<Double> leaf = new ArrayList<>();
        final List<Double> cover = new ArrayList<>();

        int add() {
            mode.add(NodeMode.LEAF);
            feature.add(0);
            threshold.add(0.0);
            yes.add(0);
            no.add(0);
            missingYes.add(false);
            leaf.add(0.0);
            cover.add(0.0);
            return mode.size() - 1;
        }
    }

    /** Renumbers nodes in depth-first order so children always come after their parent. */
    static TreeEnsemble.Tree tree(JsonNode root) {
        Nodes nodes = new Nodes();
        visit(root, nodes);
        int n = nodes.mode.size();
        NodeMode[] mode = nodes.mode.toArray(NodeMode[]::new);
        int[] feature = new int[n];
        double[] threshold = new double[n];
        int[] yes = new int[n];
        int[] no = new int[n];
        boolean[] missingYes = new boolean[n];
        double[] leaf = new double[n];
        double[] cover = new double[n];
        for (int i = 0; i < n; i++) {
            feature[i] = nodes.feature.get(i);
            threshold[i] = nodes.threshold.get(i);
            yes[i] = nodes.yes.get(i);
            no[i] = nodes.no.get(i);
            missingYes[i] = nodes.missingYes.get(i);
            leaf[i] = nodes.leaf.get(i);
            cover[i] = nodes.cover.get(i);
        }
        return new TreeEnsemble.Tree(mode, feature, threshold, yes, no, missingYes, leaf, cover);
    }

    private static int visit(JsonNode node, Nodes nodes) {
        int id = nodes.add();
        nodes.cover.set(id, node.path("cover").asDouble());
        if (node.has("leaf")) {
            nodes.leaf.set(id, (double) (float) node.get("leaf").asDouble());
            return id;
        }
        Matcher split = FEATURE.matcher(node.path("split").asText());
        if (!split.matches()) {
            throw new IllegalArgumentException("an XGBoost split names feature '" + node.path("split").asText()
                    + "'; train without feature names so splits read f<index>");
        }
        int yesId = node.path("yes").asInt();
        int noId = node.path("no").asInt();
        int missingId = node.path("missing").asInt();
        JsonNode yesNode = null;
        JsonNode noNode = null;
        for (JsonNode child : node.path("children")) {
            int childId = child.path("nodeid").asInt();
            if (childId == yesId) {
                yesNode = child;
            } else if (childId == noId) {
                noNode = child;
            }
        }
        if (yesNode == null || noNode == null) {
            throw new IllegalArgumentException("an XGBoost tree node lacks one of its children in the dump");
        }
        nodes.mode.set(id, NodeMode.BRANCH_LT);
        nodes.feature.set(id, Integer.parseInt(split.group(1)));
        nodes.threshold.set(id, (double) (float) node.path("split_condition").asDouble());
        nodes.missingYes.set(id, missingId == yesId);
        int yesIndex = visit(yesNode, nodes);
        int noIndex = visit(noNode, nodes);
        nodes.yes.set(id, yesIndex);
        nodes.no.set(id, noIndex);
        return id;
    }

    /** The XGBoost4J version on the class path, for provenance. */
    public static String libraryVersion() {
        try (InputStream in = Booster.class.getResourceAsStream(
                "/META-INF/maven/ml.dmlc/xgboost4j_2.12/pom.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                return "xgboost4j " + properties.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            // Fall through to the manifest's version, if any.
        }
        String version = Booster.class.getPackage().getImplementationVersion();
        return "xgboost4j " + (version == null ? "unknown" : version);
    }
}
