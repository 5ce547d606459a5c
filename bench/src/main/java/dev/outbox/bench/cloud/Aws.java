package dev.outbox.bench.cloud;

import dev.outbox.bench.Measurement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;

/** AWS SDK set-up shared by the SQS and EventBridge targets. */
final class Aws {
    static final String REGION = "us-east-1";

    /** Tries of one request by hand before the run fails. */
    private static final int ATTEMPTS = 5;

    private Aws() {
    }

    /**
     * The request, tried again when it got no answer in time (an overloaded emulator), as the relay
     * tries a batch again after an outage; counted in {@code retries}. A request that timed out may
     * have been stored anyway: the queue may then hold duplicates, as after the relay's retry.
     */
    static <T> T retried(AtomicInteger retries, Supplier<T> request) {
        for (int attempt = 1; ; attempt++) {
            try {
                return request.get();
            } catch (SdkClientException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
                retries.incrementAndGet();
            }
        }
    }

    static Measurement noted(Measurement m, AtomicInteger retries) {
        return retries.get() == 0 ? m : m.withNote(retries.get() + " requests tried again after no answer in time");
    }

    /**
     * The transports take credentials from the SDK's default chain only; moto accepts any, so when
     * the environment has none, the system properties of that chain get dummy ones.
     */
    static void dummyCredentialsIfNone() {
        if (System.getenv("AWS_ACCESS_KEY_ID") == null && System.getProperty("aws.accessKeyId") == null) {
            System.setProperty("aws.accessKeyId", "test");
            System.setProperty("aws.secretAccessKey", "test");
        }
    }
}
