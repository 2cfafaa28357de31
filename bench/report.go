package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/starlingmq/starling/bench/internal/svg"
)

// Column is one figure of a scenario's table.
type Column struct {
	Key    string `json:"key"`
	Header string `json:"header"`
	// Lower is true when a smaller value is better (latency, CPU, memory).
	Lower bool `json:"lowerIsBetter"`
	// Chart puts the column in the scenario's SVG.
	Chart bool `json:"-"`
}

// Row is one server's figures on one case of a scenario.
type Row struct {
	Case   string             `json:"case"`
	Server string             `json:"server"`
	Values map[string]float64 `json:"values"`
	// Note says why the case failed; empty when it did not.
	Note string `json:"note,omitempty"`
	// Runs holds the value of RunsKey in every run of a repeated case.
	Runs    []float64 `json:"runs,omitempty"`
	RunsKey string    `json:"runsKey,omitempty"`
}

// Failed reports whether a case of the report failed.
func (r *Report) Failed() bool {
	for _, row := range r.Rows {
		if row.Note != "" {
			return true
		}
	}
	return false
}

// Report is one scenario's results.
type Report struct {
	Scenario string    `json:"scenario"`
	Title    string    `json:"title"`
	Date     time.Time `json:"date"`
	Command  string    `json:"command"`
	Columns  []Column  `json:"columns"`
	Rows     []Row     `json:"rows"`
	Notes    []string  `json:"notes,omitempty"`
	// Lead is the server whose figures the ratio lines divide by each
	// other server's of the same case; "" for Starling.
	Lead string `json:"lead,omitempty"`
}

// lead is the numerator of the report's ratio lines.
func (r *Report) lead() string {
	if r.Lead == "" {
		return Starling
	}
	return r.Lead
}

// Add appends a row.
func (r *Report) Add(row Row) { r.Rows = append(r.Rows, row) }

// Note records a remark printed under the table (a skipped peer, a limit).
func (r *Report) Note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// cases lists the report's cases in first-seen order.
func (r *Report) cases() []string {
	var out []string
	seen := map[string]bool{}
	for _, row := range r.Rows {
		if !seen[row.Case] {
			seen[row.Case] = true
			out = append(out, row.Case)
		}
	}
	return out
}

// Print writes the table as Markdown, with a ratio line lead/other under
// each other server's row (Starling/peer unless Lead says otherwise).
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\n### %s — %s\n\n", r.Scenario, r.Title)
	head := []string{"case", "server"}
	for _, c := range r.Columns {
		head = append(head, c.Header)
	}
	table := [][]string{head}
	for _, cs := range r.cases() {
		var star *Row
		for i := range r.Rows {
			row := &r.Rows[i]
			if row.Case != cs {
				continue
			}
			cells := []string{row.Case, row.Server}
			for _, c := range r.Columns {
				cells = append(cells, format(row.Values, c.Key))
			}
			table = append(table, cells)
			if row.Server == r.lead() {
				star = row
			} else if star != nil {
				cells = []string{"", r.lead() + "/" + row.Server}
				for _, c := range r.Columns {
					cells = append(cells, ratio(star.Values, row.Values, c.Key))
				}
				table = append(table, cells)
			}
		}
	}
	if len(table) > 1 {
		markdown(w, table)
	} else {
		fmt.Fprintln(w, "(no results)")
	}
	for _, row := range r.Rows {
		if row.Note != "" {
			fmt.Fprintf(w, "\n- %s, %s: FAILED: %s", row.Case, row.Server, row.Note)
		}
		if len(row.Runs) > 1 {
			vals := make([]string, len(row.Runs))
			for i, v := range row.Runs {
				vals[i] = format(map[string]float64{"v": v}, "v")
			}
			fmt.Fprintf(w, "\n- %s, %s: %s per run: %s", row.Case, row.Server, row.RunsKey, strings.Join(vals, ", "))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\n- %s", n)
	}
	fmt.Fprintln(w)
}

// markdown writes rows (the first is the header) as an aligned Markdown
// table: text columns left, figures right.
func markdown(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c), 3)
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i < 2 {
				b.WriteString("| " + c + pad + " ")
			} else {
				b.WriteString("| " + pad + c + " ")
			}
		}
		fmt.Fprintln(w, b.String()+"|")
	}
	line(rows[0])
	sep := make([]string, len(width))
	for i, n := range width {
		if i < 2 {
			sep[i] = strings.Repeat("-", n)
		} else {
			sep[i] = strings.Repeat("-", n-1) + ":"
		}
	}
	line(sep)
	for _, row := range rows[1:] {
		line(row)
	}
}

func format(v map[string]float64, key string) string {
	x, ok := v[key]
	switch {
	case !ok || math.IsNaN(x):
		return "-"
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return group(int64(x))
	case math.Abs(x) >= 100:
		return group(int64(math.Round(x)))
	case math.Abs(x) >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// group writes n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func ratio(a, b map[string]float64, key string) string {
	x, ok1 := a[key]
	y, ok2 := b[key]
	if !ok1 || !ok2 || y == 0 || math.IsNaN(x) || math.IsNaN(y) {
		return "-"
	}
	if q := x / y; q >= 100 {
		return group(int64(math.Round(q))) + "×"
	}
	return fmt.Sprintf("%.2f×", x/y)
}

// Write saves the report as DIR/<scenario>.json and DIR/<scenario>.svg.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", r.Scenario, err)
	}
	if err := os.WriteFile(filepath.Join(dir, r.Scenario+".json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s JSON: %w", r.Scenario, err)
	}
	if err := os.WriteFile(filepath.Join(dir, r.Scenario+".svg"), r.chart(), 0o644); err != nil {
		return fmt.Errorf("write %s chart: %w", r.Scenario, err)
	}
	return nil
}

// chart draws one grouped bar panel per charted column: a group per case,
// a bar per server.
func (r *Report) chart() []byte {
	var panels []svg.Panel
	for _, c := range r.Columns {
		if !c.Chart {
			continue
		}
		p := svg.Panel{Title: c.Header, Note: "higher is better"}
		if c.Lower {
			p.Note = "lower is better"
		}
		for _, cs := range r.cases() {
			g := svg.Group{Label: cs}
			for _, row := range r.Rows {
				if v, ok := row.Values[c.Key]; ok && row.Case == cs && !math.IsNaN(v) {
					g.Bars = append(g.Bars, svg.Bar{Series: row.Server, Value: v})
				}
			}
			p.Groups = append(p.Groups, g)
		}
		panels = append(panels, p)
	}
	return svg.Chart(r.Scenario+" — "+r.Title, panels)
}
