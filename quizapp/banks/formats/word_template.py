"""The Word template the upload page offers: a short bank written the way the importer reads it."""

from __future__ import annotations

import io

HOW_TO = (
    "Cách soạn: mỗi câu bắt đầu bằng \"Câu 1:\", \"Câu 2:\", …; mỗi phương án một dòng \"A. …\", \"B. …\" "
    "(hoặc hai phương án một dòng, cách nhau bằng phím Tab); đáp án đúng in đậm (hoặc gạch chân, tô màu, "
    "hoặc dòng \"Đáp án: B\" sau các phương án). Dòng kiểu Tiêu đề 1 (Heading 1) hoặc \"Chủ đề: …\" đặt chủ đề "
    "cho các câu sau nó. Dòng \"Giải thích: …\", \"Nguồn: …\", \"Độ khó: …\" sau phương án là không bắt buộc. "
    "Các dòng trước Câu 1 (như đoạn này) được bỏ qua."
)

QUESTIONS = (
    ("Cuộc đời và sự nghiệp", "Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập vào ngày nào?",
     ("19/8/1945", "2/9/1945", "23/9/1945", "6/1/1946"), {1},
     "Ngày 2/9/1945, tại Quảng trường Ba Đình, Hà Nội.", "Tuyên ngôn độc lập, 2/9/1945"),
    ("Cuộc đời và sự nghiệp", "Chủ tịch Hồ Chí Minh đọc Tuyên ngôn độc lập ở đâu?",
     ("Quảng trường Ba Đình, Hà Nội", "Nhà hát Lớn, Hà Nội", "Tân Trào, Tuyên Quang", "Pác Bó, Cao Bằng"), {0},
     None, None),
    ("Chuyển đổi số", "Ba trụ cột của Chương trình Chuyển đổi số quốc gia là gì? (Chọn tất cả ý đúng)",
     ("Chính phủ số", "Kinh tế số", "Xã hội số", "Quốc phòng số"), {0, 1, 2},
     "Quyết định 749/QĐ-TTg xác định ba trụ cột: chính phủ số, kinh tế số, xã hội số.",
     "Quyết định số 749/QĐ-TTg ngày 3/6/2020 của Thủ tướng Chính phủ"),
)


def word_template() -> bytes:
    """A .docx with the conventions explained and three example questions, keys in bold."""
    import docx

    document = docx.Document()
    document.add_paragraph("NGÂN HÀNG CÂU HỎI (TỆP MẪU)").runs[0].bold = True
    document.add_paragraph(HOW_TO)
    topic, number = None, 0
    for question_topic, text, options, correct, explanation, source in QUESTIONS:
        if question_topic != topic:
            topic = question_topic
            document.add_heading(topic, level=1)
        number += 1
        document.add_paragraph(f"Câu {number}: {text}")
        for index, option in enumerate(options):
            run = document.add_paragraph().add_run(f"{'ABCD'[index]}. {option}")
            run.bold = index in correct
        if explanation:
            document.add_paragraph(f"Giải thích: {explanation}")
        if source:
            document.add_paragraph(f"Nguồn: {source}")
        document.add_paragraph()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
