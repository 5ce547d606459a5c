package dev.outbox.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

class SessionFailureTest {

    /** What HikariCP throws when no connection could be made: its own timeout around the driver's reason. */
    private static SQLException poolTimeout(Throwable lastFailure) {
        return new SQLTransientConnectionException("outbox-relay - Connection is not available, request timed out"
                + " after 5001ms (total=0, active=0, idle=0, waiting=0)",
                lastFailure instanceof SQLException s ? s.getSQLState() : null, lastFailure);
    }

    @Test
    void poolTimeoutIsReducedToTheDriversSqlStateAndReason() {
        PSQLException reason = new PSQLException("FATAL: password authentication failed for user \"relay\"",
                PSQLState.INVALID_PASSWORD);

        SessionFailure failure = SessionFailure.of(poolTimeout(reason), "outbox");

        assertThat(failure.sqlState()).isEqualTo("28P01");
        assertThat(failure.message()).isEqualTo("FATAL: password authentication failed for user \"relay\"");
        assertThat(failure.describe()).isEqualTo("SQLState 28P01: FATAL: password authentication failed for user \"relay\"");
    }

    @Test
    void namesTheNetworkCauseBelowTheDriversException() {
        PSQLException reason = new PSQLException("The connection attempt failed.", PSQLState.CONNECTION_UNABLE_TO_CONNECT,
                new UnknownHostException("db.example.invalid"));

        SessionFailure failure = SessionFailure.of(poolTimeout(reason), "outbox");

        assertThat(failure.describe()).isEqualTo("SQLState 08001: The connection attempt failed."
                + " (UnknownHostException: db.example.invalid)");
    }

    @Test
    void missingTableSaysToApplyTheMigrationsOnOneLine() {
        SQLException e = new PSQLException("ERROR: relation \"outbox.event\" does not exist\n  Position: 15",
                PSQLState.UNDEFINED_TABLE);

        SessionFailure failure = SessionFailure.of(e, "outbox");

        assertThat(failure.message()).doesNotContain("\n").startsWith("ERROR: relation \"outbox.event\" does not exist"
                + " Position: 15 Apply the migrations in sql/");
    }

    @Test
    void neverKeepsAPasswordOrUserInfoEvenIfADriverQuotedTheUrl() {
        SQLException e = new SQLException("cannot use jdbc:postgresql://db/orders?user=relay&password=s3cr3t&ssl=true"
                + " or nats://user:hunter2@broker:4222 (PWD=abc; sslpassword=def)", "08001");

        String message = SessionFailure.of(e, "outbox").message();

        assertThat(message).doesNotContain("s3cr3t", "hunter2", "abc", "def")
                .contains("password=****&ssl=true", "nats://****@broker:4222");
    }

    @Test
    void sameFailureIgnoresNumbersThatChangeBetweenTries() {
        SessionFailure a = new SessionFailure(null, "pool - Connection is not available, request timed out after 5001ms");
        SessionFailure b = new SessionFailure(null, "pool - Connection is not available, request timed out after 5003ms");
        SessionFailure other = new SessionFailure("3D000", "FATAL: database \"x\" does not exist");

        assertThat(a.sameAs(b)).isTrue();
        assertThat(a.sameAs(other)).isFalse();
        assertThat(other.sameAs(new SessionFailure("28P01", other.message()))).isFalse();
    }

    @Test
    void longMessagesAreCutWithoutSplittingACharacter() {
        String text = "x".repeat(998) + "\uD83D\uDE00" + "tail";

        String cut = SessionFailure.truncate(text, 1000);

        assertThat(cut).hasSize(999).endsWith("x…");
        assertThat(SessionFailure.truncate("short", 1000)).isEqualTo("short");
    }
}
