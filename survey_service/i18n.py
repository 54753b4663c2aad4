"""Interface texts in Vietnamese (the default) and English."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("vi", "en")

_TEXTS: dict[str, tuple[str, str]] = {
    "app.name": ("Khảo sát Chỉ số CCHC", "PAR Survey"),
    "lang.switch": ("English", "Tiếng Việt"),
    "form.required": ("bắt buộc", "required"),
    "form.optional": ("không bắt buộc", "optional"),
    "form.submit": ("Gửi phiếu khảo sát", "Send my answers"),
    "form.errors_title": (
        "Phiếu chưa gửi được. Vui lòng xem lại các câu sau:",
        "Your answers were not sent yet. Please check these questions:",
    ),
    "form.next": ("Tiếp theo", "Next"),
    "form.back": ("Quay lại", "Back"),
    "form.page_of": ("Trang {n}/{total}", "Page {n} of {total}"),
    "form.unit_label": ("Đơn vị Ông/Bà đánh giá", "The unit you are rating"),
    "form.unit_help": (
        "Chọn sở, ban, ngành hoặc quận, huyện mà phiếu này đánh giá.",
        "Choose the department or district this form is about.",
    ),
    "form.unit_choose": ("— Chọn đơn vị —", "— Choose a unit —"),
    "form.unit_missing": (
        "Vui lòng chọn một đơn vị trong danh sách.",
        "Please choose a unit from the list.",
    ),
    "form.question_n": ("Câu {n}", "Question {n}"),
    "form.choose_many": ("Có thể chọn nhiều phương án", "You may choose several"),
    "form.number_range": ("Từ {min} đến {max}", "From {min} to {max}"),
    "form.max_chars": ("Tối đa {n} ký tự", "At most {n} characters"),
    "form.desk": ("Nơi giao dịch", "Where you were served"),
    "form.anonymous": (
        "Phiếu không ghi tên; câu trả lời chỉ dùng để đánh giá và cải thiện dịch vụ.",
        "This form is anonymous; answers are used only to assess and improve the service.",
    ),
    "form.honeypot": ("Để trống ô này", "Leave this empty"),
    "thanks.title": ("Cảm ơn Ông/Bà!", "Thank you!"),
    "thanks.body": (
        "Ý kiến của Ông/Bà đã được ghi nhận và sẽ góp phần cải thiện dịch vụ hành chính công.",
        "Your answers have been recorded and will help improve public services.",
    ),
    "admin.campaigns": ("Đợt khảo sát", "Campaigns"),
    "admin.units": ("Đơn vị và quầy", "Units and desks"),
    "admin.qr_cards": ("Thẻ mã QR", "QR cards"),
    "admin.signout": ("Đăng xuất", "Sign out"),
    "admin.signin": ("Đăng nhập", "Sign in"),
    "admin.email": ("Thư điện tử", "E-mail"),
    "admin.password": ("Mật khẩu", "Password"),
    "login.failed": ("Sai thư điện tử hoặc mật khẩu.", "Wrong e-mail or password."),
    "admin.year": ("Năm", "Year"),
    "admin.name": ("Tên", "Name"),
    "admin.status": ("Trạng thái", "Status"),
    "admin.period": ("Thời gian", "Period"),
    "admin.start": ("Bắt đầu", "Start"),
    "admin.end": ("Kết thúc", "End"),
    "admin.new_campaign": ("Tạo đợt khảo sát mới", "New campaign"),
    "admin.create": ("Tạo", "Create"),
    "admin.set_status": ("Đổi", "Set"),
    "admin.code": ("Mã", "Code"),
    "admin.group": ("Nhóm", "Group"),
    "admin.desks": ("Số quầy", "Desks"),
    "admin.responses": ("Số phiếu", "Responses"),
    "admin.responses_in": ("Số phiếu tính cho đợt: {name}.", "Responses counted for: {name}."),
    "admin.desk": ("Quầy", "Desk"),
    "admin.link": ("Đường dẫn", "Link"),
    "admin.actions": ("Thao tác", "Actions"),
    "admin.rotate": ("Đổi mã", "New code"),
    "admin.revoke": ("Thu hồi mã", "Withdraw code"),
    "admin.no_code": ("chưa có mã", "no live code"),
    "admin.add_desk": ("Thêm quầy", "Add a desk"),
    "admin.name_vi": ("Tên tiếng Việt", "Name in Vietnamese"),
    "admin.name_en": ("Tên tiếng Anh", "Name in English"),
    "admin.print": ("In thẻ QR của đơn vị", "Print this unit's QR cards"),
    "admin.print_all": ("In thẻ QR của tất cả các quầy", "Print QR cards for every desk"),
    "admin.questionnaires": ("Phiếu khảo sát áp dụng", "Questionnaires in use"),
    "admin.audience": ("Đối tượng", "Audience"),
    "admin.version": ("Phiên bản", "Version"),
    "admin.change": ("Đổi phiên bản", "Change version"),
    "admin.none": ("chưa chọn", "none"),
    "admin.links": ("Đường dẫn khảo sát", "Form links"),
    "admin.links_help": (
        "Đường dẫn dùng chung cho một đối tượng; nếu không gắn đơn vị, người trả lời tự chọn.",
        "Shareable links for one audience; without a unit, respondents choose the unit they rate.",
    ),
    "admin.new_link": ("Tạo đường dẫn mới", "New link"),
    "admin.unit_optional": ("Đơn vị (không bắt buộc)", "Unit (optional)"),
    "admin.unit_any": ("— Người trả lời tự chọn —", "— Respondent chooses —"),
    "admin.label": ("Ghi chú", "Label"),
    "admin.revoked": ("đã thu hồi", "withdrawn"),
    "admin.tokens": ("Mã truy cập API", "API tokens"),
    "admin.tokens_help": (
        "Mã dùng cho chương trình, gửi trong tiêu đề Authorization: Bearer …",
        "For scripts: send it as the header Authorization: Bearer …",
    ),
    "admin.token_once": (
        "Hãy lưu mã này ngay: nó chỉ hiện một lần.",
        "Copy this token now: it is shown only once.",
    ),
    "admin.new_token": ("Tạo mã mới", "New token"),
    "admin.role": ("Vai trò", "Role"),
    "admin.created": ("Tạo lúc", "Created"),
    "admin.last_used": ("dùng lần cuối", "last used"),
    "admin.sessions": ("Phiên đăng nhập", "Sessions"),
    "admin.logout_everywhere": ("Đăng xuất trên mọi thiết bị", "Sign out everywhere"),
    "admin.logout_everywhere_help": (
        "Kết thúc mọi phiên đăng nhập của tài khoản này, trên mọi trình duyệt.",
        "Ends every session of this account, in every browser.",
    ),
    "admin.audit": ("Nhật ký thay đổi", "Audit log"),
    "admin.flags": ("Phiếu cần xem xét", "Flagged responses"),
    "admin.action": ("Thao tác", "Action"),
    "admin.actor": ("Người thực hiện", "By"),
    "admin.since": ("Từ ngày", "From"),
    "admin.until": ("Đến ngày", "To"),
    "admin.filter": ("Lọc", "Filter"),
    "admin.when": ("Thời điểm", "When"),
    "admin.flags_help": (
        "Phiếu có dấu hiệu bất thường. Phiếu bị loại không được tính khi phân tích; mọi thay đổi "
        "được ghi vào nhật ký.",
        "Responses with warning signs. Excluded responses are left out of the analysis; every "
        "change is written to the audit log.",
    ),
    "admin.no_flags": ("Không có phiếu nào cần xem xét.", "No flagged responses."),
    "admin.unit": ("Đơn vị", "Unit"),
    "admin.excluded": ("Đã loại", "Excluded"),
    "admin.include": ("Tính lại phiếu này", "Include again"),
    "admin.exclude": ("Loại phiếu", "Exclude"),
    "admin.reason": ("Lý do", "Reason"),
    "flag.too_fast": ("Trả lời quá nhanh", "Answered too fast"),
    "flag.straight_lining": ("Chọn cùng một mức cho mọi câu", "Same answer everywhere"),
    "flag.desk_burst": ("Quầy có quá nhiều phiếu bất thường", "Unusual burst at the desk"),
    "flag.repeat_browser": ("Cùng trình duyệt gửi nhiều lần", "Repeat from one browser"),
    "flag.honeypot": ("Có dấu hiệu máy tự động", "Filled in by a robot"),
    "analysis.title": ("Kết quả phân tích", "Analysis"),
    "analysis.run": ("Chạy phân tích", "Run the analysis"),
    "analysis.exclusion": ("Phiếu bị loại", "Left out"),
    "analysis.policy.excluded": ("phiếu điều phối viên đã loại", "responses coordinators excluded"),
    "analysis.policy.excluded_and_flagged": (
        "phiếu đã loại và mọi phiếu bị gắn cờ",
        "excluded and every flagged response",
    ),
    "analysis.policy.none": ("không loại phiếu nào", "nothing"),
    "analysis.run_info": (
        "Lần chạy #{id} lúc {at} UTC bởi {by}: dùng {used} phiếu, không tính {left} phiếu",
        "Run #{id} at {at} UTC by {by}: {used} responses used, {left} left out",
    ),
    "analysis.checksum": ("mã kiểm tra", "checksum"),
    "analysis.measure": ("Thước đo", "Measure"),
    "analysis.measure.score": ("điểm trung bình 0–100", "mean score 0–100"),
    "analysis.measure.top_two": (
        "% hài lòng và rất hài lòng",
        "% in the top two levels",
    ),
    "analysis.help": (
        "Mỗi ô: chỉ số có trọng số, ± nửa khoảng tin cậy 95 % và số phiếu. Ô có ít hơn số phiếu "
        "tối thiểu hoặc sai số tương đối lớn được đánh dấu; với công chức, các ô này bị ẩn.",
        "Each cell: the weighted index, ± half its 95 % confidence interval, and n. Cells below "
        "the minimum n or with a large relative error are flagged; for officials they are "
        "suppressed.",
    ),
    "analysis.caption": ("chỉ số theo đơn vị và khía cạnh", "indices by unit and dimension"),
    "analysis.index": ("Chỉ số chung", "Overall index"),
    "analysis.weighting": ("Cách gán trọng số", "Weighting"),
    "dash.rate_title": ("Tỷ lệ trả lời theo đơn vị — {plan}", "Response rate by unit — {plan}"),
    "dash.rate_axis": ("Tỷ lệ trả lời (%)", "Response rate (%)"),
    "dash.rate_expected": ("dự kiến", "expected"),
    "dash.rate_help": (
        "Phiếu hoàn thành trên thư mời đã gửi; đường đứt nét là tỷ lệ kế hoạch dự kiến khi tính "
        "cỡ mẫu ({rate} %). Đơn vị thấp hơn cần nhắc lại hoặc dùng mẫu dự phòng.",
        "Completed over issued invitations; the dashed line is the rate the plan expected when "
        "it sized the sample ({rate} %). Units below it need reminders or the reserve.",
    ),
    "dash.target": ("Cần đạt (n)", "Target (n)"),
    "dash.per_desk": ("Theo quầy", "Per desk"),
    "analysis.heatmap": ("Bản đồ nhiệt: đơn vị × khía cạnh", "Heat map: units × dimensions"),
    "analysis.change_title": (
        "{audience}: {dimension}, {before} → {after}",
        "{audience}: {dimension}, {before} → {after}",
    ),
    "analysis.run_short": ("lần phân tích #{id}", "analysis run #{id}"),
    "analysis.chart_by": ("Biểu đồ mọi đơn vị theo", "All units on one chart by"),
    "analysis.change": ("Thay đổi so với năm {year}", "Change since {year}"),
    "analysis.change_none": (
        "Chưa có kết quả năm {year} để so sánh.",
        "No results from {year} to compare with.",
    ),
    "analysis.before": ("Năm {year}", "{year}"),
    "analysis.difference": ("Chênh lệch", "Difference"),
    "analysis.drivers": (
        "Yếu tố tác động đến mức hài lòng chung",
        "Key drivers of overall satisfaction",
    ),
    "analysis.drivers_help": (
        "Hồi quy có trọng số của điểm hài lòng chung theo điểm từng khía cạnh, trên toàn bộ "
        "người trả lời nhóm này: hệ số càng lớn, cải thiện khía cạnh đó càng nâng mức hài lòng "
        "chung.",
        "Design-based regression of respondents' overall satisfaction on their dimension scores, "
        "over all respondents of this audience: the larger the coefficient, the more improving "
        "that dimension lifts overall satisfaction.",
    ),
    "analysis.dimension": ("Khía cạnh", "Dimension"),
    "analysis.coefficient": ("Hệ số", "Coefficient"),
    "analysis.suppressed": (
        "Ẩn: quá ít phiếu để bảo đảm không nhận diện được người trả lời",
        "Suppressed: too few answers to keep respondents unidentifiable",
    ),
    "analysis.suppressed_short": ("ẩn", "hidden"),
    "analysis.none": (
        "Chưa có lần phân tích nào cho đợt khảo sát này.",
        "This campaign has not been analysed yet.",
    ),
    "analysis.flag.small_n": ("ít phiếu", "small n"),
    "analysis.flag.high_cv": ("sai số lớn", "high CV"),
    "analysis.flag.no_data": ("không có dữ liệu", "no data"),
    "analysis.rule.design_weights_nonresponse": (
        "trọng số thiết kế, điều chỉnh không trả lời",
        "design weights, non-response adjusted",
    ),
    "analysis.rule.poststratified_admin_totals": (
        "hậu phân tầng theo số hồ sơ từng quầy",
        "post-stratified to each desk's dossiers",
    ),
    "analysis.rule.equal_weights_no_totals": (
        "trọng số bằng nhau (chưa có số hồ sơ)",
        "equal weights (no dossier totals)",
    ),
    "par.title": ("Chỉ số cải cách hành chính", "PAR Index"),
    "par.compute": ("Tính Chỉ số", "Compute the index"),
    "par.publish": ("Công bố kết quả", "Publish the results"),
    "par.published": (
        "Đã công bố lúc {at} UTC bởi {by}; số liệu đã khóa.",
        "Published at {at} UTC by {by}; the numbers are frozen.",
    ),
    "par.computation": (
        "Lần tính #{id} lúc {at} UTC bởi {by}, theo lần phân tích #{run}",
        "Computation #{id} at {at} UTC by {by}, from analysis run #{run}",
    ),
    "par.help": (
        "Chỉ số = tổng điểm / điểm tối đa × 100. Khoảng thứ hạng: các thứ hạng hợp lý khi tính "
        "đến sai số của điểm khảo sát (mô phỏng, 95 %).",
        "Index = total points / maximum × 100. Rank range: the ranks that are plausible given the "
        "survey points' sampling error (simulated, 95 %).",
    ),
    "par.none": (
        "Chưa tính Chỉ số cho đợt khảo sát này.",
        "The PAR Index has not been computed yet.",
    ),
    "par.group.department": ("Sở, ban, ngành", "Departments"),
    "par.group.district": ("Quận, huyện, thành phố", "Districts"),
    "par.rank": ("Hạng", "Rank"),
    "par.index": ("Chỉ số", "Index"),
    "par.points": ("Điểm", "Points"),
    "par.class": ("Xếp loại", "Class"),
    "par.change": ("So với năm trước", "Change"),
    "par.missing": ("thiếu {n} tiêu chí", "{n} criteria missing"),
    "par.appraisal_short": ("thẩm định", "appraisal"),
    "par.survey_short": ("khảo sát", "survey"),
    "par.appraisal": ("Điểm thẩm định", "Appraisal points"),
    "par.appraisal_help": (
        "Đơn vị tự chấm và nêu tài liệu kiểm chứng; Hội đồng thẩm định chấm lại. Mọi thay đổi "
        "được ghi nhật ký và hiển thị dưới đây.",
        "The unit self-assesses with evidence; reviewers appraise. Every change is logged and "
        "listed below.",
    ),
    "par.template": ("Tải mẫu Excel để điền", "Download the Excel template"),
    "par.max": ("tối đa {max} điểm", "at most {max} points"),
    "par.self_points": ("Điểm tự chấm", "Self-assessed points"),
    "par.appraised_points": ("Điểm thẩm định", "Appraised points"),
    "par.evidence": ("Tài liệu kiểm chứng", "Evidence"),
    "par.links": ("Đường dẫn (cách nhau bởi dấu cách)", "Links (separated by spaces)"),
    "par.reviewer_comment": ("Nhận xét của người thẩm định", "Reviewer's comment"),
    "par.status": ("Trạng thái", "Status"),
    "par.status.draft": ("nháp", "draft"),
    "par.status.submitted": ("đã nộp", "submitted"),
    "par.status.appraised": ("đã thẩm định", "appraised"),
    "par.status.final": ("chính thức", "final"),
    "par.history": ("Lịch sử thay đổi", "Change history"),
    "par.import": ("Nhập tệp Excel chấm điểm của một đơn vị", "Import a unit's appraisal workbook"),
    "par.import_button": ("Nhập", "Import"),
    "par.import_failed": (
        "Không lưu gì cả. Vui lòng sửa các dòng sau rồi nhập lại:",
        "Nothing was stored. Please fix these rows and import again:",
    ),
    "par.criterion": ("Tiêu chí", "Criterion"),
    "par.before": ("Trước (tự chấm / thẩm định)", "Before (self / appraised)"),
    "par.after": ("Sau", "After"),
    "results.title": ("Kết quả Chỉ số cải cách hành chính", "PAR Index results"),
    "results.intro": (
        "Kết quả đã công bố của Chỉ số cải cách hành chính các sở, ban, ngành và quận, huyện.",
        "The published Administrative Reform Index of the city's departments and districts.",
    ),
    "results.year": ("Chỉ số cải cách hành chính năm {year}", "PAR Index {year}"),
    "results.none": ("Chưa có kết quả nào được công bố.", "No results have been published yet."),
    "results.published": ("Công bố ngày {at}", "Published on {at}"),
    "results.methodology": ("Phương pháp", "Methodology"),
    "results.download": ("Tải về", "Download"),
    "results.points": ("điểm", "points"),
    "results.rank": (
        "hạng {rank}/{n} (khoảng hợp lý {low}–{high})",
        "{rank} of {n} (plausible range {low}–{high})",
    ),
    "results.areas": ("Điểm theo lĩnh vực", "Points by area"),
    "results.area": ("Lĩnh vực", "Area"),
    "results.survey": ("Điểm từ khảo sát", "Points from the surveys"),
    "results.subindex": ("Chỉ số thành phần", "Sub-index"),
    "results.estimate": ("Giá trị", "Estimate"),
    "results.indices": ("Chỉ số hài lòng", "Satisfaction sub-indices"),
    "results.method_intro": (
        "Mỗi đơn vị được chấm theo bộ tiêu chí dưới đây. Điểm thẩm định do Hội đồng thẩm định "
        "chấm; điểm khảo sát quy đổi từ chỉ số hài lòng có trọng số (thang 0–100) với khoảng tin "
        "cậy 95 %. Phiếu công chức chỉ được dùng dưới dạng tổng hợp; ô có quá ít phiếu bị ẩn.",
        "Each unit is scored on the criteria below. Appraisal points are given by the appraisal "
        "council; survey points are converted from weighted satisfaction sub-indices (0–100) "
        "with 95 % confidence intervals. Officials' answers are used only in aggregate; cells "
        "with too few answers are suppressed.",
    ),
    "results.example_scheme": (
        "Bộ tiêu chí mẫu (có thể chỉnh sửa), không phải bộ tiêu chí chính thức.",
        "An editable example scheme, not the official one.",
    ),
    "results.classes": ("Xếp loại", "Classes"),
    "results.from_survey": (
        "khảo sát {audience}: {what}, quy đổi {conversion}",
        "survey of {audience}: {what}, {conversion} conversion",
    ),
    "results.from_appraisal": ("thẩm định", "appraisal"),
    "results.survey_source": ("khảo sát", "survey"),
    "results.surveys": ("Các cuộc khảo sát", "The surveys"),
    "results.items": ("{n} câu hỏi", "{n} questions"),
    "results.survey_method": (
        "Mỗi câu được quy về thang 0–100; điểm khía cạnh của một người là trung bình các câu đã "
        "trả lời (cần ít nhất {share} %); chỉ số đơn vị là trung bình có trọng số với khoảng tin "
        "cậy 95 %. Ô có dưới {min_n} phiếu hoặc sai số tương đối trên {max_cv} % được đánh dấu; "
        "với công chức, các ô này bị ẩn.",
        "Each question is put on a 0–100 scale; a respondent's dimension score is the mean of "
        "the questions answered (at least {share} % of them); a unit's index is the weighted mean "
        "with a 95 % confidence interval. Cells with fewer than {min_n} answers or a relative "
        "error above {max_cv} % are flagged; for officials they are suppressed.",
    ),
    "results.responses_used": ("{n} phiếu được sử dụng", "{n} responses used"),
    "results.criteria": ("Điểm từng tiêu chí", "Points criterion by criterion"),
    "results.criterion_title": ("Nội dung", "What it measures"),
    "dash.title": ("Tổng quan khảo sát", "Fieldwork dashboard"),
    "comments.title": ("Kiểm duyệt ý kiến", "Comment moderation"),
    "comments.help": (
        "Ý kiến của người dân và doanh nghiệp chỉ xuất hiện trong báo cáo đơn vị sau khi được "
        "duyệt. Ẩn ý kiến nêu tên người hoặc có lời lẽ xúc phạm. Ý kiến của công chức không bao "
        "giờ được hiển thị. Mọi quyết định được ghi nhật ký.",
        "Citizens' and businesses' comments appear in unit reports only once shown here. Hide "
        "comments that name people or are abusive. Officials' comments are never shown. Every "
        "decision is written to the audit log.",
    ),
    "comments.waiting": ("Chờ duyệt ({n})", "Waiting ({n})"),
    "comments.decided": ("Đã quyết định gần đây", "Recent decisions"),
    "comments.show": ("Cho hiển thị", "Show"),
    "comments.hide": ("Ẩn", "Hide"),
    "comments.none": ("Không có ý kiến chờ duyệt.", "No comments waiting."),
    "comments.status.shown": ("hiển thị", "shown"),
    "comments.status.hidden": ("đã ẩn", "hidden"),
    "report.title": ("Báo cáo đơn vị", "Unit report"),
    "report.print": (
        "In trang này (hoặc lưu PDF) từ trình duyệt.",
        "Print this page (or save it as PDF) from the browser.",
    ),
    "report.group_mean": ("Chỉ số trung bình của nhóm", "Mean index of the group"),
    "report.dimensions": (
        "Chỉ số hài lòng so với nhóm",
        "Satisfaction sub-indices beside the group",
    ),
    "report.unit": ("Đơn vị", "Unit"),
    "report.group": ("TB nhóm", "Group mean"),
    "report.strongest": ("Ba câu được đánh giá cao nhất", "Three strongest items"),
    "report.weakest": ("Ba câu được đánh giá thấp nhất", "Three weakest items"),
    "report.comments": ("Ý kiến của người trả lời", "What respondents wrote"),
    "report.comments_help": ("Chỉ các ý kiến đã được kiểm duyệt.", "Moderated comments only."),
    "answers.title": ("Phân bố câu trả lời", "Answer distributions"),
    "answers.audience": ("Nhóm khảo sát", "Audience"),
    "answers.item": ("Câu hỏi", "Question"),
    "answers.all_units": ("— Mọi đơn vị —", "— All units —"),
    "answers.show": ("Xem", "Show"),
    "answers.option": ("Phương án", "Option"),
    "dash.responses": ("phiếu", "answers"),
    "dash.flagged": ("phiếu bị gắn cờ", "flagged"),
    "dash.excluded": ("phiếu bị loại", "excluded"),
    "dash.quiet": ("quầy không có phiếu {days} ngày qua", "desks without answers in {days} days"),
    "dash.quiet_title": (
        "Quầy không có phiếu trong {days} ngày qua",
        "Desks without answers in the last {days} days",
    ),
    "dash.sample_progress": (
        "Tiến độ mẫu và tỷ lệ trả lời theo kế hoạch",
        "Sample progress and response rates against targets",
    ),
    "dash.per_day": ("Số phiếu theo ngày", "Answers per day"),
    "dash.day": ("Ngày", "Day"),
    "dash.per_unit": ("Số phiếu theo đơn vị", "Answers per unit"),
    "dash.total": ("Tổng", "Total"),
    "dash.last": ("Phiếu gần nhất", "Last answer"),
    "dash.never": ("chưa có", "never"),
    "dash.none_quiet": ("Mọi quầy đều có phiếu gần đây.", "Every desk has recent answers."),
    "chart.interval": (
        "{n} đơn vị, mỗi đơn vị một điểm ước lượng và khoảng tin cậy.",
        "{n} units, each an estimate with its confidence interval.",
    ),
    "chart.sorted": (" Sắp xếp từ cao xuống thấp.", " Sorted from highest to lowest."),
    "chart.range": (
        " Cao nhất: {top} ({top_v}); thấp nhất: {low} ({low_v}).",
        " Highest: {top} ({top_v}); lowest: {low} ({low_v}).",
    ),
    "chart.reference": (" Đường đứt: {label} {value}.", " Dashed line: {label} {value}."),
    "chart.hidden": (
        " {n} đơn vị không hiển thị vì không đủ số liệu.",
        " {n} units not shown for lack of data.",
    ),
    "chart.heatmap": (
        "Bảng màu {units} đơn vị × {dims} khía cạnh, thang 0–100, màu càng sáng điểm càng cao;"
        " ô gạch chéo ghi “—” là không có số liệu.",
        "Heat map of {units} units × {dims} dimensions on a 0–100 scale, lighter is higher;"
        " hatched cells marked “—” have no data.",
    ),
    "chart.distribution": (
        "{total} câu trả lời chia theo {k} phương án.",
        "{total} answers across {k} options.",
    ),
    "chart.daily": (
        "Số phiếu mỗi ngày từ {first} đến {last}, tổng cộng {total}.",
        "Responses per day from {first} to {last}, {total} in all.",
    ),
    "chart.target": (
        " Đường đứt: chỉ tiêu {value} phiếu/ngày.",
        " Dashed line: target {value} a day.",
    ),
    "chart.change": (
        "{n} đơn vị: {before} (vòng rỗng) và {after} (chấm đặc).",
        "{n} units: {before} (open circle) and {after} (filled dot).",
    ),
    "chart.empty": ("Chưa có số liệu.", "No data yet."),
    "chart.table": (
        " Số liệu đầy đủ ở bảng kèm theo.",
        " The full figures are in the table beside it.",
    ),
    "totals.title": ("Số hồ sơ theo quầy", "Dossiers per desk"),
    "totals.help": (
        "Số hồ sơ mỗi quầy đã tiếp nhận trong kỳ khảo sát. Phiếu quét mã QR tại quầy được hậu "
        "phân tầng theo các số này; đơn vị thiếu số liệu của một quầy có phiếu thì dùng trọng số "
        "bằng nhau. Mọi thay đổi được ghi vào nhật ký.",
        "Dossiers each desk handled in the campaign period. Desk-QR answers are post-stratified "
        "to these totals; a unit missing the total of a desk with answers keeps equal weights. "
        "Every change is written to the audit log.",
    ),
    "totals.dossiers": ("Số hồ sơ", "Dossiers"),
    "totals.save": ("Lưu", "Save"),
    "totals.saved": ("Đã lưu.", "Saved."),
    "admin.fieldwork": ("Tiến độ khảo sát", "Fieldwork"),
    "admin.letters": ("In thư mời", "Print letters"),
    "admin.mail_merge": ("Tệp trộn thư (CSV)", "Mail-merge file (CSV)"),
    "admin.by_unit": ("Theo đơn vị", "By unit"),
    "admin.by_stratum": ("Theo tầng", "By stratum"),
    "admin.stratum": ("Tầng", "Stratum"),
    "admin.issued": ("Đã mời", "Invited"),
    "admin.completed": ("Đã trả lời", "Answered"),
    "admin.rate": ("Tỷ lệ", "Rate"),
    "admin.desk_qr": ("Phiếu QR tại quầy", "Desk QR answers"),
    "admin.release": ("Mời thêm mẫu dự phòng", "Release reserve"),
    "admin.no_plans": ("Chưa có kế hoạch chọn mẫu nào được rút.", "No sample has been drawn."),
    "letter.title": ("Thư mời tham gia khảo sát", "Invitation to a survey"),
    "letter.body": (
        "Ông/Bà được chọn ngẫu nhiên để đánh giá chất lượng phục vụ của cơ quan hành chính nhà "
        "nước, phục vụ xác định Chỉ số cải cách hành chính của Thành phố Hồ Chí Minh. Vui lòng "
        "quét mã QR hoặc mở đường dẫn dưới đây. Phiếu không ghi tên.",
        "You were chosen at random to rate the service of a public administration, for Ho Chi "
        "Minh City's Administrative Reform Index. Please scan the QR code or open the link "
        "below. The form is anonymous.",
    ),
    "letter.single_use": (
        "Mã này chỉ dùng một lần, cho riêng Ông/Bà.",
        "This code is for you alone and works once.",
    ),
    "admin.plans": ("Chọn mẫu", "Sampling"),
    "admin.frames": ("Khung mẫu", "Frames"),
    "admin.frame": ("Khung mẫu", "Frame"),
    "admin.file": ("Tệp CSV hoặc XLSX", "CSV or XLSX file"),
    "admin.import": ("Nhập", "Import"),
    "admin.import_failed": (
        "Không nhập được: {n} lỗi; chưa lưu dòng nào.",
        "Not imported: {n} problems; nothing stored.",
    ),
    "admin.contacts_purged": ("đã xoá thông tin liên hệ", "contacts deleted"),
    "admin.drawn": ("đã rút mẫu", "drawn"),
    "admin.draw": ("Rút mẫu và gửi thư mời", "Draw and invite"),
    "admin.new_plan": ("Kế hoạch chọn mẫu mới", "New sample plan"),
    "admin.strata": ("Biến phân tầng (ngoài đơn vị)", "Strata besides the unit"),
    "admin.allocation": ("Phân bổ", "Allocation"),
    "admin.minimum": ("Tối thiểu mỗi tầng", "Minimum per stratum"),
    "admin.response_rate": ("Tỷ lệ trả lời dự kiến", "Expected response rate"),
    "admin.reserve": ("Dự phòng", "Reserve"),
    "audience.citizen": ("Người dân, tổ chức", "Citizens and organisations"),
    "audience.business": ("Doanh nghiệp", "Businesses"),
    "audience.official": ("Cán bộ, công chức, đại biểu", "Officials and delegates"),
    "group.department": ("Sở, ban, ngành", "Department"),
    "group.district": ("Quận, huyện", "District"),
    "status.draft": ("Nháp", "Draft"),
    "status.open": ("Đang mở", "Open"),
    "status.closed": ("Đã đóng", "Closed"),
    "status.published": ("Đã công bố", "Published"),
    "card.instruction": (
        "Quét mã để đánh giá mức độ hài lòng về dịch vụ hành chính công tại quầy này.",
        "Scan to rate the public service at this desk.",
    ),
    "card.or_open": ("hoặc mở", "or open"),
    "error.bad_request": ("Yêu cầu không hợp lệ", "The request is not valid"),
    "error.not_found": ("Không tìm thấy", "Not found"),
    "error.gone": ("Đợt khảo sát không còn mở", "This survey is not open"),
    "error.not_authenticated": ("Cần đăng nhập", "Please sign in"),
    "error.forbidden": ("Không có quyền truy cập", "You may not do this"),
    "error.conflict": ("Xung đột dữ liệu", "Conflict"),
    "error.payload_too_large": ("Dữ liệu gửi lên quá lớn", "What was sent is too large"),
    "error.invalid_input": ("Dữ liệu không hợp lệ", "Invalid input"),
    "error.too_many_requests": ("Quá nhiều lượt gửi", "Too many submissions"),
    "error.method": ("Thao tác không được hỗ trợ", "This action is not supported"),
    "error.server": ("Đã có lỗi xảy ra", "Something went wrong"),
    "error.server_body": (
        "Hệ thống gặp sự cố. Vui lòng thử lại sau ít phút.",
        "The service had a problem. Please try again in a few minutes.",
    ),
    "error.back": ("Về trang đầu", "Back to the start"),
    "error.unknown_code": (
        "Mã QR này không tồn tại hoặc đã bị thu hồi. Vui lòng quét mã đang dán tại quầy.",
        "This QR code does not exist or has been withdrawn. Please scan the code at the desk.",
    ),
    "error.closed": (
        "Đợt khảo sát đã kết thúc hoặc chưa mở. Cảm ơn Ông/Bà đã quan tâm.",
        "The survey is closed or has not opened yet. Thank you for your interest.",
    ),
    "error.form_broken": (
        "Phiếu gửi lên không đầy đủ. Vui lòng mở lại đường dẫn và điền lại.",
        "The form arrived incomplete. Please open the link again and answer once more.",
    ),
    "busy.title": ("Hệ thống đang quá tải", "The service is busy right now"),
    "busy.kept": (
        "Phiếu của Ông/Bà chưa được gửi, nhưng các câu trả lời vẫn được giữ trên điện thoại này.",
        "Your answers were not sent yet, but they are kept on this phone.",
    ),
    "busy.retry": (
        "Vui lòng đợi khoảng {n} giây rồi bấm gửi lại.",
        "Please wait about {n} seconds, then send them again.",
    ),
    "busy.retry_page": (
        "Vui lòng đợi khoảng {n} giây rồi thử lại.",
        "Please wait about {n} seconds, then try again.",
    ),
    "busy.back": ("Quay lại phiếu của tôi", "Back to my answers"),
    "busy.again": ("Thử lại", "Try again"),
}


def translate(key: str, lang: str, **params: object) -> str:
    """The text for ``key`` in ``lang``; unknown keys come back as the key itself."""
    pair = _TEXTS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**params) if params else text


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **params)`` bound to ``lang``, for templates."""

    def t(key: str, **params: object) -> str:
        return translate(key, lang, **params)

    return t


def pick_language(value: str | None) -> str:
    """``value`` if it is a supported language, else Vietnamese."""
    return value if value in LANGUAGES else "vi"
