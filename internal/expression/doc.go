// Package expression owns Pantryflow's expression language: checking,
// compiling and evaluating workflow conditions (nextAction == "schedule_demo")
// and the {{ expression }} templates inside action parameters, with
// github.com/expr-lang/expr underneath.
//
// It also owns everything that makes those expressions friendly to the people
// who write them: the helper functions (now, date, duration, daysAgo, ...)
// driven by an injected clock, nil-safe member access, plain-language errors
// that point at a position in the text the user wrote (including hints for
// JavaScript habits such as === and new Date()), and parsing of absolute and
// relative due dates such as "+2 days".
package expression
