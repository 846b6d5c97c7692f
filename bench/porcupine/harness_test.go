// bench/porcupine/harness_test.go — Porcupine's side of `npm run bench:checker` (our code, not Porcupine's).
//
// bench/checker.ts compiles this file into a Porcupine checkout's own package with
// `go test -overlay` (nothing is written into the checkout), so it can use Porcupine's
// test parsers and models (parseJepsenLog, parseKvLog, etcdModel, kvModel,
// kvNoPartitionModel) exactly as porcupine_test.go does. It times CheckEventsTimeout only
// (parsing excluded), RUNS runs per family, and prints one JSON line per family.
package porcupine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

type harnessResult struct {
	Name     string    `json:"name"`
	Times    []float64 `json:"timesMs"`
	Verdicts []string  `json:"verdicts"`
	Go       string    `json:"go"`
}

func harnessVerdict(r CheckResult) string {
	switch r {
	case Ok:
		return "linearizable"
	case Illegal:
		return "not linearizable"
	}
	return "unknown"
}

func harnessTime(name string, model Model, histories [][]Event, runs int, timeout time.Duration) {
	out := harnessResult{Name: name, Go: fmt.Sprintf("%s GOMAXPROCS=%d", runtime.Version(), runtime.GOMAXPROCS(0))}
	for r := 0; r < runs; r++ {
		start := time.Now()
		for _, h := range histories {
			res := CheckEventsTimeout(model, h, timeout)
			if r == 0 {
				out.Verdicts = append(out.Verdicts, harnessVerdict(res))
			}
		}
		out.Times = append(out.Times, float64(time.Since(start).Microseconds())/1000)
	}
	line, _ := json.Marshal(out)
	fmt.Printf("HARNESS %s\n", line)
}

func harnessEnvInt(name string, fallback int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return fallback
}

// TestSplitbrainHarness runs the family named by FAMILY (bench/checker.ts's names).
func TestSplitbrainHarness(t *testing.T) {
	dir := os.Getenv("PORCUPINE_DATA")
	family := os.Getenv("FAMILY")
	runs := harnessEnvInt("RUNS", 5)
	timeout := time.Duration(harnessEnvInt("TIMEOUT_MS", 0)) * time.Millisecond
	if family == "etcd (103 files)" {
		var hs [][]Event
		for i := 0; i <= 102; i++ {
			hs = append(hs, parseJepsenLog(filepath.Join(dir, "jepsen", fmt.Sprintf("etcd_%03d.log", i))))
		}
		harnessTime(family, etcdModel, hs, runs, timeout)
		return
	}
	var name string
	if _, err := fmt.Sscanf(family, "kv unpartitioned %s", &name); err == nil {
		h := parseKvLog(filepath.Join(dir, "kv", name+".txt"))
		harnessTime(family, kvNoPartitionModel, [][]Event{h}, runs, timeout)
		return
	}
	if _, err := fmt.Sscanf(family, "kv %s", &name); err == nil {
		h := parseKvLog(filepath.Join(dir, "kv", name+".txt"))
		harnessTime(family, kvModel, [][]Event{h}, runs, timeout)
		return
	}
	t.Skipf("no Porcupine counterpart for family %q", family)
}
