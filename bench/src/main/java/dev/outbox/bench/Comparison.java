package dev.outbox.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Two things measured in the same rounds ({@link Rounds#compare}): {@code a} is the subject (the
 * relay), {@code b} its reference (the ceiling). The ratio is taken per round, A over B, before it
 * is summarised: both runs of a round saw about the same machine.
 *
 * @param label what is compared, e.g. {@code sqs standard queue, 1,000 events, 100 keys}
 * @param nameA the subject, e.g. {@code relay}
 * @param nameB the reference, e.g. {@code SqsClient by hand}
 * @param a the subject's runs, one per round
 * @param b the reference's runs, one per round
 */
public record Comparison(String label, String nameA, String nameB, List<Measurement> a, List<Measurement> b) {

    public Comparison {
        a = List.copyOf(a);
        b = List.copyOf(b);
        if (a.size() != b.size() || a.isEmpty()) {
            throw new IllegalArgumentException("one run of each per round (was " + a.size() + " and " + b.size() + ")");
        }
    }

    public int rounds() {
        return a.size();
    }

    public Summary rateA() {
        return Summary.of(a.stream().map(Measurement::rate).toList());
    }

    public Summary rateB() {
        return Summary.of(b.stream().map(Measurement::rate).toList());
    }

    /** Rate of A over rate of B, per round. */
    public Summary ratio() {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            ratios.add(a.get(i).rate() / b.get(i).rate());
        }
        return Summary.of(ratios);
    }

    /** The notes of every run, for the report ("relay round 2: capped at 180 s"), or empty. */
    public List<String> notes() {
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).note().isEmpty()) {
                notes.add(nameA + " round " + (i + 1) + ": " + a.get(i).note());
            }
            if (!b.get(i).note().isEmpty()) {
                notes.add(nameB + " round " + (i + 1) + ": " + b.get(i).note());
            }
        }
        return notes;
    }
}
