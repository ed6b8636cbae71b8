extension CronExpression {
    // MARK: - Calendar arithmetic (proleptic Gregorian, no time zone)

    struct LocalMinute: Sendable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int

        init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
            (self.year, self.month, self.day, self.hour, self.minute) = (year, month, day, hour, minute)
        }

        /// The wall-clock minute containing `naiveSeconds` (seconds since 1970 read as local time).
        init(naiveSeconds: Int) {
            let days = naiveSeconds >= 0 ? naiveSeconds / 86_400 : -((-naiveSeconds + 86_399) / 86_400)
            let secondOfDay = naiveSeconds - days * 86_400
            let civil = CronExpression.civilFromDays(days)
            self.init(
                year: civil.year,
                month: civil.month,
                day: civil.day,
                hour: secondOfDay / 3_600,
                minute: secondOfDay % 3_600 / 60
            )
        }

        var naiveSeconds: Int {
            CronExpression.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = (month + 9) % 12
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// The weekday (Sunday = 0) of a day count since 1970-01-01 (a Thursday).
    static func weekday(days: Int) -> Int {
        ((days % 7) + 7 + 4) % 7
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
