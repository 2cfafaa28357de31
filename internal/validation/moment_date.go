package validation

import (
	"time"
)

// English locale weeks, moment's default: weeks start on Sunday (dow 0)
// and the week holding January 1st is the first (doy 6).
const (
	localeDow = 0
	localeDoy = 6
)

// finish is moment's configFromArray, checkOverflow and isValid.
func (p *momentParse) finish() (float64, bool) {
	if p.w != nil && !p.has[slotDate] && !p.has[slotMonth] {
		if !p.fromWeeks() {
			return 0, false
		}
	}
	now := p.now.UTC()
	current := [3]int{now.Year(), int(now.Month()) - 1, now.Day()}
	if p.hasDayOfYear {
		year := current[0]
		if p.has[slotYear] {
			year = p.a[slotYear]
		}
		if p.dayOfYear > daysInYear(year) || p.dayOfYear == 0 {
			return 0, false
		}
		d := time.Date(year, 1, p.dayOfYear, 0, 0, 0, 0, time.UTC)
		p.set(slotMonth, int(d.Month())-1)
		p.set(slotDate, d.Day())
	}
	i := 0
	for ; i < 3 && !p.has[i]; i++ {
		p.set(i, current[i])
	}
	for ; i < slotCount; i++ {
		if !p.has[i] {
			v := 0
			if i == slotDate {
				v = 1
			}
			p.set(i, v)
		}
	}
	a := p.a
	nextDay := a[slotHour] == 24 && a[slotMinute] == 0 && a[slotSecond] == 0 && a[slotMilli] == 0
	if nextDay {
		a[slotHour] = 0
	}
	if overflows(a) {
		return 0, false
	}
	t := time.Date(a[slotYear], time.Month(a[slotMonth]+1), a[slotDate], a[slotHour], a[slotMinute], a[slotSecond], a[slotMilli]*1e6, time.UTC)
	ms := float64(t.Unix())*1000 + float64(t.Nanosecond()/1e6)
	if p.hasTZ {
		ms -= float64(p.tzm) * 60000
	}
	if nextDay {
		ms += 86400000
	}
	if ms > maxTime || ms < -maxTime {
		return 0, false
	}
	return ms, true
}

func overflows(a [slotCount]int) bool {
	switch {
	case a[slotMonth] < 0 || a[slotMonth] > 11:
		return true
	case a[slotDate] < 1 || a[slotDate] > daysInMonth(a[slotYear], a[slotMonth]):
		return true
	case a[slotHour] < 0 || a[slotHour] > 23: // 24:00:00.000 was moved to the next day
		return true
	case a[slotMinute] < 0 || a[slotMinute] > 59:
		return true
	case a[slotSecond] < 0 || a[slotSecond] > 59:
		return true
	}
	return a[slotMilli] < 0 || a[slotMilli] > 999
}

// fromWeeks is dayOfYearFromWeekInfo: week-year, week and weekday to a
// year and day of year; false when the week or weekday overflows.
func (p *momentParse) fromWeeks() bool {
	w := p.w
	var weekYear, week, weekday, dow, doy int
	overflow := false
	_, iso := w["GG"]
	if _, ok := w["W"]; ok {
		iso = true
	}
	if _, ok := w["E"]; ok {
		iso = true
	}
	if iso {
		dow, doy = 1, 4
		weekYear = p.defaultWeekYear("GG", dow, doy)
		week, weekday = valueOr(w, "W", 1), valueOr(w, "E", 1)
		overflow = weekday < 1 || weekday > 7
	} else {
		dow, doy = localeDow, localeDoy
		weekYear = p.defaultWeekYear("gg", dow, doy)
		_, curWeek := weekOfYear(p.now.UTC(), dow, doy)
		week = valueOr(w, "w", curWeek)
		weekday = dow
		if e, ok := w["e"]; ok {
			weekday = e + dow
			overflow = e < 0 || e > 6
		}
	}
	if week < 1 || week > weeksInYear(weekYear, dow, doy) || overflow {
		return false
	}
	year, dayOfYear := dayOfYearFromWeeks(weekYear, week, weekday, dow, doy)
	p.set(slotYear, year)
	p.dayOfYear, p.hasDayOfYear = dayOfYear, true
	return true
}

func (p *momentParse) defaultWeekYear(key string, dow, doy int) int {
	if v, ok := p.w[key]; ok {
		return v
	}
	if p.has[slotYear] {
		return p.a[slotYear]
	}
	year, _ := weekOfYear(p.now.UTC(), dow, doy)
	return year
}

func valueOr(m map[string]int, key string, def int) int {
	if v, ok := m[key]; ok {
		return v
	}
	return def
}

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

func isLeap(y int) bool { return y%4 == 0 && y%100 != 0 || y%400 == 0 }

func daysInMonth(y, m int) int {
	return time.Date(y, time.Month(m+2), 0, 0, 0, 0, 0, time.UTC).Day()
}

// firstWeekOffset is moment's: the offset of the first week's start from
// January 1st.
func firstWeekOffset(year, dow, doy int) int {
	fwd := 7 + dow - doy
	fwdlw := (7 + int(time.Date(year, 1, fwd, 0, 0, 0, 0, time.UTC).Weekday()) - dow) % 7
	return -fwdlw + fwd - 1
}

func weeksInYear(year, dow, doy int) int {
	return (daysInYear(year) - firstWeekOffset(year, dow, doy) + firstWeekOffset(year+1, dow, doy)) / 7
}

func weekOfYear(t time.Time, dow, doy int) (year, week int) {
	year = t.Year()
	week = floorDiv(t.YearDay()-firstWeekOffset(year, dow, doy)-1, 7) + 1
	switch {
	case week < 1:
		return year - 1, week + weeksInYear(year-1, dow, doy)
	case week > weeksInYear(year, dow, doy):
		return year + 1, week - weeksInYear(year, dow, doy)
	}
	return year, week
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func dayOfYearFromWeeks(year, week, weekday, dow, doy int) (int, int) {
	local := ((7+weekday-dow)%7 + 7) % 7
	day := 1 + 7*(week-1) + local + firstWeekOffset(year, dow, doy)
	switch {
	case day <= 0:
		return year - 1, daysInYear(year-1) + day
	case day > daysInYear(year):
		return year + 1, day - daysInYear(year)
	}
	return year, day
}
