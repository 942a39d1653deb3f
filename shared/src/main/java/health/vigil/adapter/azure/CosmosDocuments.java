package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.StoreException;
import health.vigil.json.Json;

/**
 * The shape of Vigil's Cosmos DB documents: {@code id}, the partition key property, a {@code type}, a few
 * properties the adapters look up, and the domain record under {@code body}, written with Vigil's one JSON setup.
 * Keeping the record nested keeps Cosmos's system properties ({@code _etag}, {@code _ts} ...) out of it.
 */
final class CosmosDocuments {
    static final String ID = "id";
    static final String TYPE = "type";
    static final String BODY = "body";
    static final String ETAG = "_etag";

    private CosmosDocuments() {}

    static ObjectNode document(String id, String partitionProperty, String partitionValue, String type) {
        ObjectNode doc = Json.mapper().createObjectNode();
        doc.put(ID, id);
        doc.put(partitionProperty, partitionValue);
        doc.put(TYPE, type);
        return doc;
    }

    static ObjectNode withBody(ObjectNode doc, Object body) {
        doc.set(BODY, Json.mapper().valueToTree(body));
        return doc;
    }

    static <T> T body(ObjectNode doc, Class<T> type) {
        JsonNode body = doc.get(BODY);
        if (body == null || !body.isObject()) {
            throw new StoreException("Cosmos DB document " + doc.path(ID).asText() + " has no body; it was not written"
                    + " by Vigil", null);
        }
        try {
            return Json.mapper().treeToValue(body, type);
        } catch (JsonProcessingException e) {
            // Json.malformed says where without quoting content: prediction records hold feature values.
            throw new StoreException("Cosmos DB document " + doc.path(ID).asText() + " does not hold a valid "
                    + type.getSimpleName() + ": " + Json.malformed("its body", e).getMessage(), e);
        }
    }

    static String type(ObjectNode doc) {
        return doc.path(TYPE).asText("");
    }

    static String etag(ObjectNode doc) {
        JsonNode etag = doc.get(ETAG);
        return etag == null || etag.isNull() ? null : etag.asText();
    }

    /** A point read; a missing item (404 with no sub-status) is null, any other failure a StoreException. */
    static ObjectNode readOrNull(CosmosContainer container, String id, PartitionKey pk, String what) {
        try {
            return container.readItem(id, pk, ObjectNode.class).getItem();
        } catch (CosmosException e) {
            if (isMissingItem(e)) {
                return null;
            }
            throw CosmosFailures.translate(what, e);
        }
    }

    /** Every document of one logical partition whose type is {@code type}, read without a query. */
    static java.util.List<ObjectNode> readPartition(CosmosContainer container, String partition, String type,
            String what) {
        java.util.List<ObjectNode> docs = new java.util.ArrayList<>();
        try {
            for (ObjectNode doc : container.readAllItems(new PartitionKey(partition), ObjectNode.class)) {
                if (type.equals(type(doc))) {
                    docs.add(doc);
                }
            }
        } catch (CosmosException e) {
            throw CosmosFailures.translate(what, e);
        }
        return docs;
    }

    /** Deletes one document; one already gone is fine (a retried or concurrent purge). */
    static void deleteIfPresent(CosmosContainer container, String id, String partition, String what) {
        try {
            container.deleteItem(id, new PartitionKey(partition), new com.azure.cosmos.models.CosmosItemRequestOptions());
        } catch (CosmosException e) {
            if (!isMissingItem(e)) {
                throw CosmosFailures.translate(what, e);
            }
        }
    }

    /** 404 of the item itself; a missing container or database also answers 404, with sub-status 1003. */
    static boolean isMissingItem(CosmosException e) {
        return e.getStatusCode() == 404 && e.getSubStatusCode() == 0;
    }
}
