import LiteSafeCore
import Testing

@Suite struct CronExpressionTests {
    @Test(arguments: [
        ("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"), ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"), ("@Daily", "0 0 * * *"),
    ])
    func macrosEqualTheirExpansions(macro: String, expansion: String) throws {
        #expect(try CronExpression(parsing: macro) == CronExpression(parsing: expansion))
        #expect(try CronExpression(parsing: macro).description == macro.lowercased())
    }

    @Test(arguments: [
        ("0 0 * JAN-Mar Mon-FRI", "0 0 * 1-3 1-5"),
        ("0 0 * * 7", "0 0 * * 0"),
        ("0 0 * * sun", "0 0 * * 0"),
        ("0 0 * * 5-7", "0 0 * * 0,5,6"),
        ("*/15 * * * *", "0,15,30,45 * * * *"),
        ("0 1-9/2 * * *", "0 1,3,5,7,9 * * *"),
        ("5/20 * * * *", "5,25,45 * * * *"),
        ("0 0 1,15 * *", "0 0 15,1 * *"),
        ("0 0 * dec *", "0 0 * 12 *"),
        ("59 23 31 12 6", "59 23 31 dec sat"),
        ("0-59/60 * * * *", "0 * * * *"),
    ])
    func equivalentSpellingsAreEqual(lhs: String, rhs: String) throws {
        let left = try CronExpression(parsing: lhs)
        let right = try CronExpression(parsing: rhs)
        #expect(left == right)
        #expect(left.hashValue == right.hashValue)
    }

    @Test func descriptionKeepsTheTextWithSingleSpaces() throws {
        #expect(try CronExpression(parsing: " 0\t3  * *   mon ").description == "0 3 * * mon")
    }

    @Test func starInADayFieldChangesTheDayRule() throws {
        // `*/1` selects the same days as `1-31`, but starting with `*` makes it unrestricted
        // for the Vixie either-day rule, so the two expressions run on different days.
        #expect(try CronExpression(parsing: "0 0 */1 * mon") != CronExpression(parsing: "0 0 1-31 * mon"))
    }

    @Test(arguments: [
        ("60 * * * *", CronField.minute, "60", "60 is out of range, must be 0–59"),
        ("* 25 * * *", .hour, "25", "25 is out of range, must be 0–23"),
        ("* 1,25 * * *", .hour, "1,25", "25 is out of range, must be 0–23"),
        ("* * 0 * *", .dayOfMonth, "0", "0 is out of range, must be 1–31"),
        ("* * 32 * *", .dayOfMonth, "32", "32 is out of range, must be 1–31"),
        ("* * * 13 *", .month, "13", "13 is out of range, must be 1–12 or jan–dec"),
        ("* * * foo *", .month, "foo", "'foo' is not a valid value, must be 1–12 or jan–dec"),
        ("* * * * 8", .dayOfWeek, "8", "8 is out of range, must be 0–7 or sun–sat (0 and 7 are Sunday)"),
        ("* * * * monday", .dayOfWeek, "monday", "'monday' is not a valid value"),
        ("* * * jan-mon *", .month, "jan-mon", "'mon' is not a valid value"),
        ("*/0 * * * *", .minute, "*/0", "step in '*/0' must be at least 1"),
        ("*/x * * * *", .minute, "*/x", "step 'x' in '*/x' is not a whole number"),
        ("*/ * * * *", .minute, "*/", "step '' in '*/' is not a whole number"),
        ("1/2/3 * * * *", .minute, "1/2/3", "'1/2/3' has more than one '/'"),
        ("1,,2 * * * *", .minute, "1,,2", "empty list item"),
        ("5- * * * *", .minute, "5-", "a value is missing, must be 0–59"),
        ("-5 * * * *", .minute, "-5", "a value is missing, must be 0–59"),
        ("* 22-2 * * *", .hour, "22-2", "range '22-2' runs backwards; ranges cannot wrap around"),
        ("* * * * fri-mon", .dayOfWeek, "fri-mon", "range 'fri-mon' runs backwards"),
        ("+5 * * * *", .minute, "+5", "'+5' is not a valid value"),
        ("0 0 30 feb *", .dayOfMonth, "30", "no month in the month field 'feb' has that day, so it would never run"),
        ("0 0 31 4,6,9,11 *", .dayOfMonth, "31", "so it would never run"),
    ])
    func errorsNameTheField(text: String, field: CronField, fieldText: String, reason: String) {
        #expect {
            try CronExpression(parsing: text)
        } throws: { error in
            guard case .invalidCronField(field, fieldText, text, let actualReason)? = error as? ScheduleError else {
                return false
            }
            return actualReason.contains(reason)
                && String(describing: error).hasPrefix("\(field) field '\(fieldText)' in cron expression '\(text)': ")
        }
    }

    @Test func briefMessageForAnHourOutOfRange() {
        #expect(
            throws: ScheduleError.invalidCronField(
                .hour, text: "25", expression: "0 25 * * *", reason: "25 is out of range, must be 0–23")
        ) {
            try CronExpression(parsing: "0 25 * * *")
        }
    }

    @Test func possibleOnlyInLeapYearsOrThroughWeekdaysIsAccepted() throws {
        _ = try CronExpression(parsing: "0 0 29 2 *")
        _ = try CronExpression(parsing: "0 0 30 2 mon")  // runs on Mondays in February
    }

    @Test(arguments: [
        ("0 3 * *", "has 4 fields, expected 5 (minute hour day-of-month month day-of-week), e.g. '0 3 * * *'"),
        ("0 0 3 * * *", "has 6 fields, expected 5"),
        ("", "has 0 fields"),
        ("@reboot", "@reboot is not supported"),
        ("@often", "unknown macro; use @hourly, @daily, @weekly, @monthly or @yearly"),
    ])
    func wholeExpressionErrors(text: String, reason: String) {
        #expect {
            try CronExpression(parsing: text)
        } throws: { error in
            guard case .invalidCronExpression(_, let actualReason)? = error as? ScheduleError else { return false }
            return actualReason.contains(reason)
        }
    }
}
