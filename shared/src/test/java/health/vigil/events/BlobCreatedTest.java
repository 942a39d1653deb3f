package health.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a storage handler checks of a BlobCreated before it reads or writes anything. */
class BlobCreatedTest {
    private static BlobCreated event(String container, String blob, String url) {
        return new BlobCreated("e-1", container, blob, url, 10, "0x1");
    }

    @Test
    void anEventWhoseUrlNamesTheSubjectsBlobIsTakenWhateverTheUrlsForm() {
        List<BlobCreated> same = List.of(
                event("outcomes", "ward 7/feed.csv", "https://acct.blob.core.windows.net/outcomes/ward%207/feed.csv"),
                event("outcomes", "a+b ü.csv", "https://acct.blob.core.windows.net/outcomes/a+b%20%C3%BC.csv"),
                // Written as it is, without escapes, as some senders do.
                event("outcomes", "100%.csv", "https://acct.blob.core.windows.net/outcomes/100%.csv"),
                // Azurite's path-style URL names the account first.
                event("outcomes", "x.csv", "http://127.0.0.1:10000/devstoreaccount1/outcomes/x.csv"),
                event("models", "team/r.zip", "http://localhost:10000/devstoreaccount1/models/team/r.zip"),
                event("models", "r.zip", "https://acct.blob.core.windows.net/models/r.zip?snapshot=1"),
                // A registration of an upload made through the API carries no url.
                event("models", "r.zip", null));
        for (BlobCreated blob : same) {
            assertThat(blob.requireContainer("Handler", blob.container())).as(blob.url()).isSameAs(blob);
        }
    }

    @Test
    void anEventWhoseUrlNamesAnotherBlobIsRefusedSayingBothAndNamingNoBlob() {
        List<String> otherUrls = List.of(
                "https://acct.blob.core.windows.net/outcomes/MRN-0012345.csv",
                "https://acct.blob.core.windows.net/outcomes/ward/MRN-0012345.csv",
                "https://acct.blob.core.windows.net/outcomes/MRN-0012345.csv/more",
                "https://acct.blob.core.windows.net/models/MRN-0012345.csv",
                // An account's host names the account: the first segment is the container.
                "https://acct.blob.core.windows.net/devstoreaccount1/outcomes/MRN-0012345.csv",
                // On Azurite's host the first segment is the account.
                "http://127.0.0.1:10000/outcomes/MRN-0012345.csv",
                "http://127.0.0.1:10000/devstoreaccount1/outcomes/MRN%2D0012345.csv%2",
                "MRN-0012345.csv");
        for (String url : otherUrls) {
            BlobCreated blob = event("outcomes", "MRN-0012345.csv/other", url);
            assertThatThrownBy(() -> blob.requireContainer("IngestOutcomes", "outcomes")).as(url)
                    .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code().httpStatus()).isEqualTo(400))
                    .hasMessageStartingWith("the BlobCreated event's data.url names another blob than its subject (the"
                            + " subject names a blob in container 'outcomes' and the url ")
                    .hasMessageContaining("IngestOutcomes did nothing: send the event with the same blob in its subject")
                    .hasMessageNotContaining("MRN");
        }
        assertThatThrownBy(() -> event("outcomes", "x.csv", "https://acct.blob.core.windows.net/models/x.csv")
                .requireContainer("IngestOutcomes", "outcomes"))
                .hasMessageContaining("the url names a blob in container 'models'");
        assertThatThrownBy(() -> event("outcomes", "x.csv", "not a url").requireContainer("IngestOutcomes", "outcomes"))
                .hasMessageContaining("the url does not read as a blob's URL");
    }

    @Test
    void theContainerIsJudgedFirstSoAWrongFilterIsNamedAsSuch() {
        assertThatThrownBy(() -> event("datasets", "x.csv", "https://acct.blob.core.windows.net/elsewhere/y.csv")
                .requireContainer("RegisterModel", "models"))
                .hasMessageContaining("RegisterModel handles BlobCreated events of the 'models' container only");
    }
}
