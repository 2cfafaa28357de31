// Package svg draws the harness's charts: panels of grouped horizontal bars,
// hand-written SVG with no dependency: it imports nothing of Starling's.
package svg

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Bar is one value of one series (a server) in a group (a case).
type Bar struct {
	Series string
	Value  float64
}

// Group is one case: a bar per series.
type Group struct {
	Label string
	Bars  []Bar
}

// Panel is one chart: a figure, with a group per case.
type Panel struct {
	Title  string
	Note   string // e.g. "lower is better"
	Groups []Group
}

const (
	width    = 760
	labelW   = 190
	valueW   = 90
	barH     = 14
	groupGap = 10
	titleH   = 28
)

// color is the i-th series colour, in order of first appearance.
func color(i int) string {
	palette := [...]string{"#d9480f", "#1971c2", "#2f9e44", "#862e9c", "#868e96"}
	return palette[i%len(palette)]
}

// Chart renders the panels one under the other with a common legend.
func Chart(title string, panels []Panel) []byte {
	colors := map[string]string{}
	var series []string
	for _, p := range panels {
		for _, g := range p.Groups {
			for _, b := range g.Bars {
				if _, ok := colors[b.Series]; !ok {
					colors[b.Series] = color(len(series))
					series = append(series, b.Series)
				}
			}
		}
	}
	var body strings.Builder
	y := 40
	for i, s := range series {
		x := 10 + i*130
		fmt.Fprintf(&body, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", x, y-10, colors[s])
		fmt.Fprintf(&body, `<text x="%d" y="%d">%s</text>`+"\n", x+16, y, html.EscapeString(s))
	}
	y += 16
	for _, p := range panels {
		y = panel(&body, p, colors, y)
	}
	var out strings.Builder
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, y+10)
	fmt.Fprintf(&out, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&out, `<text x="10" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	out.WriteString(body.String())
	out.WriteString("</svg>\n")
	return []byte(out.String())
}

// panel draws one panel from y and returns the y below it.
func panel(b *strings.Builder, p Panel, colors map[string]string, y int) int {
	y += titleH
	fmt.Fprintf(b, `<text x="10" y="%d" font-weight="bold">%s</text>`, y-8, html.EscapeString(p.Title))
	fmt.Fprintf(b, `<text x="%d" y="%d" fill="#666" text-anchor="end">%s</text>`+"\n", width-10, y-8, html.EscapeString(p.Note))
	top := 0.0
	for _, g := range p.Groups {
		for _, bar := range g.Bars {
			top = math.Max(top, bar.Value)
		}
	}
	scale := 0.0
	if top > 0 {
		scale = float64(width-labelW-valueW-20) / top
	}
	for _, g := range p.Groups {
		h := max(len(g.Bars), 1) * barH
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelW-6, y+h/2+4, html.EscapeString(g.Label))
		for i, bar := range g.Bars {
			w := math.Max(bar.Value*scale, 1)
			by := y + i*barH
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %g</title></rect>`+"\n",
				labelW, by, w, barH-2, colors[bar.Series], html.EscapeString(bar.Series), bar.Value)
			fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="11">%s</text>`+"\n", float64(labelW)+w+4, by+barH-4, short(bar.Value))
		}
		y += h + groupGap
	}
	return y
}

// short formats a value compactly for a bar label.
func short(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
