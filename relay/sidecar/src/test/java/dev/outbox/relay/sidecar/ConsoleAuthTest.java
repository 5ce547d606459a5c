package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsoleAuthTest {
    private static final String TOKEN = "the-console-token-1234";
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-04T10:00:00Z"));
    private final ConsoleAuth auth = new ConsoleAuth(TOKEN, clock);

    private static ProbeServer.Request post(String... headers) {
        Map<String, String> h = new HashMap<>(Map.of("host", "relay:9400"));
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i], headers[i + 1]);
        }
        return new ProbeServer.Request("POST", "/console/api/dead/retry-all", "", h, new byte[0]);
    }

    @Test
    void withoutATokenNothingIsAllowedAndTheRefusalNamesTheKey() {
        ConsoleAuth readOnly = new ConsoleAuth(null, clock);
        ConsoleAuth.Decision d = readOnly.authorize(post("authorization", "Bearer " + TOKEN));
        assertThat(d.status()).isEqualTo(403);
        assertThat(d.problem()).contains("OUTBOX_CONSOLE_TOKEN");
        assertThat(readOnly.login(TOKEN)).isNull();
    }

    @Test
    void bearerTokenIsEnoughAndAWrongOneIsRefused() {
        assertThat(auth.authorize(post("authorization", "Bearer " + TOKEN)).problem()).isNull();
        assertThat(auth.authorize(post("authorization", "bearer " + TOKEN)).problem()).isNull();
        assertThat(auth.authorize(post("authorization", "Bearer " + TOKEN + "x")).status()).isEqualTo(401);
        assertThat(auth.authorize(post("authorization", "Basic " + TOKEN)).status()).isEqualTo(401);
        assertThat(auth.authorize(post()).status()).isEqualTo(401);
    }

    @Test
    void sessionNeedsItsCsrfTokenAndTheConsolesOwnOrigin() {
        ConsoleAuth.Session s = auth.login(TOKEN);
        assertThat(auth.login("wrong")).isNull();
        String cookie = ConsoleAuth.COOKIE + "=" + s.id();

        assertThat(auth.authorize(post("cookie", cookie, "origin", "http://relay:9400", "x-csrf-token", s.csrf())).problem())
                .isNull();
        assertThat(auth.authorize(post("cookie", "a=b; " + cookie, "referer", "https://relay:9400/console",
                "x-csrf-token", s.csrf())).problem()).isNull();
        assertThat(auth.authorize(post("cookie", cookie, "origin", "http://relay:9400")).status()).isEqualTo(403);
        assertThat(auth.authorize(post("cookie", cookie, "origin", "http://relay:9400", "x-csrf-token", "guess")).status())
                .isEqualTo(403);
        assertThat(auth.authorize(post("cookie", cookie, "origin", "http://evil:9400", "x-csrf-token", s.csrf())).status())
                .isEqualTo(403);
        assertThat(auth.authorize(post("cookie", cookie, "x-csrf-token", s.csrf())).status())
                .as("no Origin and no Referer").isEqualTo(403);
        assertThat(auth.authorize(post("cookie", ConsoleAuth.COOKIE + "=forged", "origin", "http://relay:9400",
                "x-csrf-token", s.csrf())).status()).isEqualTo(401);
    }

    @Test
    void sessionsExpireEndOnLogoutAndAreBounded() {
        ConsoleAuth.Session s = auth.login(TOKEN);
        ProbeServer.Request withCookie = post("cookie", ConsoleAuth.COOKIE + "=" + s.id());
        assertThat(auth.session(withCookie)).isEqualTo(s);
        clock.advance(ConsoleAuth.SESSION_LIFETIME.plus(Duration.ofSeconds(1)));
        assertThat(auth.session(withCookie)).isNull();

        ConsoleAuth.Session again = auth.login(TOKEN);
        ProbeServer.Request next = post("cookie", ConsoleAuth.COOKIE + "=" + again.id());
        auth.logout(next);
        assertThat(auth.session(next)).isNull();

        ConsoleAuth.Session first = auth.login(TOKEN);
        for (int i = 0; i < ConsoleAuth.MAX_SESSIONS; i++) {
            clock.advance(Duration.ofMillis(1));
            auth.login(TOKEN);
        }
        assertThat(auth.session(post("cookie", ConsoleAuth.COOKIE + "=" + first.id()))).as("the oldest made room").isNull();
    }
}
