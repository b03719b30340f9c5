// Command summary reads the output of the bench module's benchmarks (go
// test -bench, any number of runs appended to one or more files) and prints
// markdown tables of medians: the targets of issue 11 (each scenario with
// the no-cache control, the best peer, cachedhttp, cachedhttp's ratios to
// both, the target and whether it is met), the same on CPU time, every
// implementation side by side, and the other targets.
//
// Usage:
//
//	go run ./cmd/summary [-results RESULTS.md -cmd 'bash bench/run.sh 5'] FILE...
//
// With -results it also writes the file RESULTS.md keeps: the date, the Go
// version, the CPU, the load averages, the command, the tables and every
// median.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	results := flag.String("results", "", "also write this markdown file (RESULTS.md)")
	command := flag.String("cmd", "", "the command that produced the input, for -results")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: summary [-results FILE -cmd CMD] BENCH-OUTPUT...")
		os.Exit(2)
	}
	d := newData()
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		err = d.parse(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
	}
	summary := d.summary()
	fmt.Print(summary)
	if *results != "" {
		if err := os.WriteFile(*results, []byte(d.results(summary, *command)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// results is the text of RESULTS.md.
func (d *data) results(summary, command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmark results\n\n")
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "- CPU: %s (%d logical CPUs)\n", cpuModel(d.cpu), runtime.NumCPU())
	if lr := d.loadRange(); lr != "" {
		fmt.Fprintf(&b, "- load average (1 min) at the start of each round: %s\n", lr)
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(&b, "- load average when written: %s (other sessions share this machine: wall times are noisy; the CPU-time table uses the process's CPU time per op)\n", strings.Join(strings.Fields(string(la))[:3], " "))
	}
	if command != "" {
		fmt.Fprintf(&b, "- command: `%s`\n", command)
	}
	lo, hi := d.runs()
	fmt.Fprintf(&b, "- runs per benchmark: %d", hi)
	if lo != hi {
		fmt.Fprintf(&b, " (%d for some)", lo)
	}
	b.WriteString(" (medians below; `benchstat` on the raw output, results.txt, gives spreads)\n")
	if un := d.unmet(); len(un) > 0 {
		fmt.Fprintf(&b, "- targets not met: %s (see the profiles at the end)\n", strings.Join(un, "; "))
	}
	b.WriteString("\n## Summary\n\n")
	b.WriteString(summary)
	b.WriteString("\n## Every median\n\n")
	b.WriteString(d.all())
	return b.String()
}

// cpuModel prefers /proc/cpuinfo's model name to the go test header.
func cpuModel(fromHeader string) string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
			}
		}
	}
	if fromHeader != "" {
		return fromHeader
	}
	return "unknown"
}
