//go:build race

package main

// raceBuild: the tests run under the race detector, many times slower.
const raceBuild = true
