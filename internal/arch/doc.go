// Package arch holds no code: its test keeps the import direction of the packages true (see
// docs/ARCHITECTURE.md), and CI runs it as its own step.
package arch
